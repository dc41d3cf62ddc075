/* render.h - what the bodies of the alert targets share: JSON strings
 * from untrusted text, the words of a transition, and times. Internal to
 * notify/. */
#ifndef VITALS_NOTIFY_RENDER_H
#define VITALS_NOTIFY_RENDER_H

#include <jansson.h>

#include "notify/notify.h"

/* A JSON string of s (bytes that are not UTF-8 replaced), or null for
 * NULL. A new reference; NULL only when out of memory. */
json_t *vnotify_json_str(const char *s);
/* The compact text of j (new), and j released. NULL when out of memory. */
char *vnotify_json_take(json_t *j);
/* The service's id, or NULL. */
const char *vnotify_service(const vitals_snapshot_t *s);
/* The instance's name, or NULL. */
const char *vnotify_instance(const vitals_snapshot_t *s);
/* What ev says in one line, for people: "check db is unhealthy" or "check
 * db is healthy again". Written into buf. */
const char *vnotify_summary(const vnotify_event_t *ev, char *buf,
                            size_t len);
/* The text of ev: the failure when it fired, the latest run's when it
 * resolved (may be NULL). */
const char *vnotify_output(const vnotify_event_t *ev);
/* RFC 3339 of ns (buf: 36 bytes). */
const char *vnotify_time(int64_t ns, char *buf);

#endif

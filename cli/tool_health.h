/* tool_health.h - what a health document says, in every format vitals
 * serves: the IETF health+json draft, the ASP.NET Core HealthReport,
 * avalanchego's and mosparo's health APIs, Kubernetes and plain text. */
#ifndef VITALS_TOOL_HEALTH_H
#define VITALS_TOOL_HEALTH_H

#include <stddef.h>

/* The status a word stands for, any case: pass/ok/up/healthy (0),
 * warn/degraded (1), fail/error/down/unhealthy/failed (2); -1 for any
 * other word. */
int health_word(const char *word);

/* What body says of health: the status (as health_word), with the word
 * it used in word ("healthy:false" for a boolean); -1 and "-" when it says
 * nothing known. */
int health_of_body(const char *body, char *word, size_t len);

/* "healthy", "degraded" or "unhealthy" for 0, 1, 2. */
const char *health_name(int status);

#endif

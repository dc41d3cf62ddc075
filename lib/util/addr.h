/* addr.h - splitting a listen address. */
#ifndef VITALS_ADDR_H
#define VITALS_ADDR_H

/* Splits "host:port" or "[v6]:port" into host (new string) and port
 * (0-65535). 0, or -1 when it is not of that form. */
int vaddr_split(const char *addr, char **host, int *port);

#endif

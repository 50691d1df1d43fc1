/* SPDX-License-Identifier: MIT */
/*
 * Fault-injection points for crash tests (test builds only): decides from
 * SLIPWAY_FAULT whether this hit of a named point crashes or fails, and
 * lists every hit in SLIPWAY_FAULT_LIST. What a
 * failure means is left to the caller of SW_FAULT().
 */
#include <slipway/fault.h>

#ifdef SW_FAULT_INJECTION
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
sw_fault_hit(const char *name)
{
    static unsigned long hits;
    const char *spec = getenv("SLIPWAY_FAULT");
    const char *list = getenv("SLIPWAY_FAULT_LIST");
    size_t nlen;
    unsigned long want = 1;
    const char *p;

    if (list && *list) {
        /* one line per hit, so a test can enumerate every point and its hits */
        int fd = open(list, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0) {
            char line[256];
            int n = snprintf(line, sizeof(line), "%s\n", name);
            if (n > 0 && (size_t)n < sizeof(line) && write(fd, line, (size_t)n) < 0)
                n = 0;
            close(fd);
        }
    }
    if (!spec || !*spec)
        return 0;
    nlen = strcspn(spec, "@:");
    if (nlen != strlen(name) || strncmp(spec, name, nlen) != 0)
        return 0;
    p = spec + nlen;
    if (*p == '@') {
        char *end;
        want = strtoul(p + 1, &end, 10);
        p = end;
    }
    if (++hits != want)
        return 0;
    if (strcmp(p, ":fail") == 0)
        return 1;
    kill(getpid(), SIGKILL);
    _exit(137);
}
#else
/* ISO C forbids an empty translation unit */
typedef int sw_fault_unused;
#endif

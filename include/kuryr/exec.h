/* Running helper programs: fork/exec of a fixed argument vector (never a shell), stdin from /dev/null, no
 * descriptor above 2 inherited, no signal blocked or ignored (whatever the daemon does with them), a process
 * group of its own, stdout collected and the tail of stderr kept for the error message. */
#ifndef KURYR_EXEC_H
#define KURYR_EXEC_H

#include <stddef.h>

#include "kuryr/error.h"

/* argv[0] is an absolute path. *status is waitpid's status. out (may be NULL) receives stdout (malloc'd);
 * errtail (may be NULL) the last errtail_len - 1 bytes of stderr. Returns -1 with err only when the program
 * could not be run at all. */
int kuryr_run(const char *const argv[], char **out, int *status, char *errtail, size_t errtail_len,
              kuryr_error *err);

#endif

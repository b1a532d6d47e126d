/* Runs a program of the build the way a shell would, for tests of a binary's command line. */
#ifndef TEST_RUN_CMD_H
#define TEST_RUN_CMD_H

/* Runs "'bin' args" with stderr folded into stdout. Returns the exit status (-1 if it did not exit) and, in
 * *out, the output (malloc'd, NUL-terminated; free it). Aborts the test if the program cannot be started. */
int run_cmd(const char *bin, const char *args, char **out);
/* Writes conf to a temporary file, runs "'bin' --config-file FILE extra_args" as run_cmd does, removes the file. */
int run_cmd_with_conf(const char *bin, const char *conf, const char *extra_args, char **out);
/* The command line every daemon shares: --version prints "<name> <version>", --help names --dump-config, an
 * unknown argument and an unreadable --config-file exit 2. */
void check_daemon_cli_basics(const char *bin, const char *name);

#endif

/* run_cmd (see run_cmd.h). */
#include "run_cmd.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int run_cmd(const char *bin, const char *args, char **out)
{
    assert_non_null(bin);
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "'%s' %s 2>&1", bin, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len = 0;
    FILE *mem = open_memstream(out, &len);
    int c;
    while ((c = fgetc(p)) != EOF)
        fputc(c, mem);
    fclose(mem);
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int run_cmd_with_conf(const char *bin, const char *conf, const char *extra_args, char **out)
{
    char path[] = "/tmp/run-cmd-conf-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, conf, strlen(conf)), (ssize_t)strlen(conf));
    close(fd);
    char args[512];
    snprintf(args, sizeof(args), "--config-file %s %s", path, extra_args);
    int rc = run_cmd(bin, args, out);
    unlink(path);
    return rc;
}

void check_daemon_cli_basics(const char *bin, const char *name)
{
    char *out, want[128];
    assert_int_equal(run_cmd(bin, "--version", &out), 0);
    snprintf(want, sizeof(want), "%s ", name);
    assert_non_null(strstr(out, want));
    free(out);
    assert_int_equal(run_cmd(bin, "--help", &out), 0);
    assert_non_null(strstr(out, "--config-file"));
    assert_non_null(strstr(out, "--dump-config"));
    free(out);
    assert_int_equal(run_cmd(bin, "--bogus", &out), 2);
    assert_non_null(strstr(out, "unknown argument --bogus"));
    free(out);
    assert_int_equal(run_cmd(bin, "--config-file /nonexistent/kuryr.conf", &out), 2);
    free(out);
}

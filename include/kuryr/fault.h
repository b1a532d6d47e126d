/* Fault points for crash-safety tests.
 *
 * KURYR_FAULT_POINT("create_endpoint.port_bound") marks a step of a plugin operation. In a build configured
 * with -Dfault_points=true, the process SIGKILLs itself there when the environment variable KURYR_FAULT
 * names that point (a comma-separated list is accepted), so a test can crash the daemon between any two
 * Neutron or host changes and check what a restart and Docker's retry leave behind. In normal builds the
 * macro expands to nothing: no getenv, no branch. */
#ifndef KURYR_FAULT_H
#define KURYR_FAULT_H

#ifdef KURYR_FAULT_POINTS
/* Kills the process with SIGKILL when name is listed in $KURYR_FAULT; otherwise returns. */
void kuryr_fault_point(const char *name);
#define KURYR_FAULT_POINT(name) kuryr_fault_point(name)
#else
#define KURYR_FAULT_POINT(name) ((void)0)
#endif

#endif

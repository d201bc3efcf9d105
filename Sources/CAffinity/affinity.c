#include "CAffinity.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

static int fill_set(cpu_set_t *set, const int *cpus, int count) {
    CPU_ZERO(set);
    for (int i = 0; i < count; i++) {
        if (cpus[i] < 0 || cpus[i] >= CPU_SETSIZE) return EINVAL;
        CPU_SET(cpus[i], set);
    }
    return 0;
}

int tagood_set_process_affinity(const int *cpus, int count) {
    cpu_set_t set;
    int rc = fill_set(&set, cpus, count);
    if (rc != 0) return rc;
    return sched_setaffinity(0, sizeof(set), &set) == 0 ? 0 : errno;
}

int tagood_set_task_affinity(int tid, const int *cpus, int count) {
    cpu_set_t set;
    int rc = fill_set(&set, cpus, count);
    if (rc != 0) return rc;
    return sched_setaffinity((pid_t)tid, sizeof(set), &set) == 0 ? 0 : errno;
}

int tagood_set_thread_affinity(const int *cpus, int count) {
    cpu_set_t set;
    int rc = fill_set(&set, cpus, count);
    if (rc != 0) return rc;
    return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

int tagood_get_affinity(int *cpus, int capacity) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return -errno;
    int n = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (CPU_ISSET(cpu, &set)) {
            if (n < capacity) cpus[n] = cpu;
            n++;
        }
    }
    return n;
}

int tagood_current_cpu(void) { return sched_getcpu(); }

int tagood_exit_with_parent(int expected_parent) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    return getppid() == expected_parent;
}

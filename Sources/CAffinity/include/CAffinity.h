#ifndef C_AFFINITY_H
#define C_AFFINITY_H

/// Pins the calling process (pid 0 = every thread created after this call inherits it) to `count` CPUs
/// listed in `cpus`. Returns 0, or an errno value.
int tagood_set_process_affinity(const int *cpus, int count);

/// Pins one thread (task) of this process by its kernel thread id. Returns 0, or an errno value.
int tagood_set_task_affinity(int tid, const int *cpus, int count);

/// Pins the calling thread only. Returns 0, or an errno value.
int tagood_set_thread_affinity(const int *cpus, int count);

/// Writes up to `capacity` CPU ids the calling thread may run on into `cpus`; returns how many there are,
/// or -errno.
int tagood_get_affinity(int *cpus, int capacity);

/// Asks the kernel to SIGKILL this process when its parent dies (Linux PR_SET_PDEATHSIG), and returns
/// whether the parent is still `expected_parent` (it may have died before the call). Workers started
/// by a local coordinator use it so that a killed coordinator leaves no orphans behind.
int tagood_exit_with_parent(int expected_parent);

/// The CPU the calling thread runs on now, or -1.
int tagood_current_cpu(void);

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The run verb: run a command in a fresh step and exit with its status.
 *
 * The command must not execute a single instruction outside its step, so
 * it is created inside it: the daemon hands us a directory fd of the
 * step's cgroup with CreateStep and clone3(CLONE_INTO_CGROUP) starts the child
 * there, with no window in which it runs elsewhere and no PID that could
 * be reused between "which process" and "move it".  A CLOEXEC pipe
 * carries the child's errno back if the exec fails; EOF means it worked.
 *
 * An unprivileged caller may not write the step's cgroup.procs, which
 * belongs to root, so its clone3() is refused.  Then the child is forked
 * where we are and waits on a pipe until the daemon has moved it by pidfd
 * (AddProcessByPIDFD, which checks that it is the caller's); it runs none
 * of the command outside the step either.
 *
 * Without --session, agentcgctl makes a session of its own and adopts
 * itself into it (into the session's supervisor leaf): the session then
 * lives exactly as long as we do, and it still exists when we end the step
 * after the command exited, so the step's usage is never lost to systemd
 * removing an empty scope first.  When we exit, the scope is empty and
 * systemd removes it.
 *
 * We wait for the command, forwarding SIGINT, SIGTERM and SIGHUP to it,
 * and end the step.  Like env(1) we exit with the command's status,
 * 128 + N if signal N killed it, 126 if it could not be executed, 127 if
 * it was not found, and 125 if we failed before it ran; then we end the
 * step we had created, so a failed run leaves nothing behind.
 *
 * Those three signals stay blocked whenever we talk to the daemon.  One
 * that arrived during a call would make sd-bus give up on the reply while
 * the daemon carries the call out, and we would no longer know what to
 * clean up.  So a signal during setup takes effect between two calls (we
 * stop, clean up and exit 128 + N), and one during cleanup is ignored.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl-bus.h"
#include "ctl.h"
#include "util.h"

#define EXIT_RUN_FAILED 125
#define EXIT_CANNOT_EXECUTE 126
#define EXIT_NOT_FOUND 127

struct run {
        /* From the command line. */
        const char *session; /* --session, or NULL for a session of our own */
        const char *step;    /* --step, or NULL for the default name */
        struct ctl_limits limits;
        char **cmd;

        /* The child, and what we created for it. */
        pid_t pid;
        int cgroup_fd;     /* the step's cgroup directory, from OpenStep */
        int exec_error_fd; /* read end: the child's errno if its exec failed */
        char *session_name;
        char *step_name;
        sigset_t saved_mask; /* the caller's, for the child */
        bool session_created;
        bool step_created;
};

static const int forwarded_signals[] = { SIGINT, SIGTERM, SIGHUP };

/* The forwarded signals that the caller does not ignore.  One it does (a
 * script's background job ignores SIGINT) stays ignored: by us, and by
 * the command, which inherits that. */
static sigset_t handled_signals;

/* The child to forward signals to, 0 when there is none (any more). */
static volatile sig_atomic_t forward_pid;
/* The last handled signal that arrived, 0 if none did. */
static volatile sig_atomic_t received_signal;

static void run_done(struct run *run)
{
        closep(&run->cgroup_fd);
        closep(&run->exec_error_fd);
        free(run->session_name);
        free(run->step_name);
}

static int log_errno(int r, const char *what)
{
        fprintf(stderr, "agentcgctl: %s: %s\n", what, strerror(-r));
        return r;
}

static int parse_run(int argc, char **argv, struct run *run)
{
        static const struct option options[] = {
                CTL_COMMON_OPTIONS,
                CTL_LIMIT_OPTIONS,
                { "session", required_argument, NULL, ARG_SESSION },
                { "step", required_argument, NULL, ARG_STEP },
                {},
        };
        int c, r;

        /* "+" stops at the first word that is not an option: that is CMD,
         * and the options after it are CMD's own. */
        while ((c = getopt_long(argc, argv, "+:h", options, NULL)) >= 0) {
                if (c == ARG_SESSION) {
                        run->session = optarg;
                        continue;
                }
                if (c == ARG_STEP) {
                        run->step = optarg;
                        continue;
                }

                r = ctl_parse_option(c, argv, &run->limits);
                if (r <= 0)
                        return r;
        }

        if (optind >= argc)
                return ctl_usage_error(argv[0]);

        run->cmd = argv + optind;
        return 1;
}

static void forward_signal(int sig, siginfo_t *si, _unused_ void *ucontext)
{
        int saved_errno = errno;

        received_signal = sig;

        /* The kernel sends Ctrl-C and a terminal hangup to the whole
         * foreground process group, the command included: it has this one
         * already, and a second copy could cut short its own handling of
         * the first.  A signal sent to us alone (kill(1), a service
         * manager stopping our unit) is meant for the command too. */
        if (forward_pid > 0 && si->si_code != SI_KERNEL)
                kill(forward_pid, sig);

        errno = saved_errno;
}

/* Fills handled_signals and blocks them, storing the caller's mask in
 * *ret_saved for the child and for the time the command runs. */
static int block_handled_signals(sigset_t *ret_saved)
{
        sigemptyset(&handled_signals);

        for (size_t i = 0; i < ELEMENTSOF(forwarded_signals); i++) {
                struct sigaction old;

                if (sigaction(forwarded_signals[i], NULL, &old) < 0)
                        return log_errno(negative_errno(), "cannot read a signal disposition");
                if (old.sa_handler != SIG_IGN)
                        sigaddset(&handled_signals, forwarded_signals[i]);
        }

        if (sigprocmask(SIG_BLOCK, &handled_signals, ret_saved) < 0)
                return log_errno(negative_errno(), "cannot block signals");
        return 0;
}

/* Installs the handlers that forward to PID; they run only once the
 * signals are unblocked, when the command runs. */
static int forward_signals_to(pid_t pid)
{
        struct sigaction forward = {
                .sa_sigaction = forward_signal,
                .sa_flags = SA_SIGINFO | SA_RESTART,
        };

        forward_pid = pid;
        for (size_t i = 0; i < ELEMENTSOF(forwarded_signals); i++) {
                int sig = forwarded_signals[i];

                if (sigismember(&handled_signals, sig) && sigaction(sig, &forward, NULL) < 0)
                        return log_errno(negative_errno(), "cannot install a signal handler");
        }
        return 0;
}

/* SCHED_EXT (7): the policy the agentcg scheduler takes in partial mode
 * (SchedulerMode=partial).  In full mode, or with no sched_ext scheduler
 * loaded, the kernel runs SCHED_EXT tasks like SCHED_OTHER ones, so the
 * child gets it whatever the daemon's mode; a kernel without sched_ext
 * refuses the policy, and the command then simply runs as SCHED_OTHER.
 * The command's own children inherit it. */
#define SCHED_EXT_POLICY 7

static void set_sched_ext(void)
{
        struct sched_param param = { .sched_priority = 0 };

        (void)sched_setscheduler(0, SCHED_EXT_POLICY, &param);
}

/* The child between clone3() and exec, already inside its step.  Only
 * async-signal-safe calls, and _exit() rather than exit() so that nothing
 * of the parent's (stdio buffers, the bus) is flushed twice. */
static _Noreturn void child_exec(int exec_error_fd, char **cmd, const sigset_t *mask)
{
        int error;

        sigprocmask(SIG_SETMASK, mask, NULL);
        set_sched_ext();
        execvp(cmd[0], cmd);

        error = errno;
        if (write(exec_error_fd, &error, sizeof(error)) != sizeof(error))
                _exit(EXIT_RUN_FAILED);
        _exit(error == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXECUTE);
}

static int make_pipe(int *ret_read, int *ret_write)
{
        int fds[2];

        if (pipe2(fds, O_CLOEXEC) < 0)
                return log_errno(negative_errno(), "cannot create a pipe");

        *ret_read = fds[0];
        *ret_write = fds[1];
        return 0;
}

/* glibc 2.36 has no clone3() wrapper.  We are single-threaded, and the
 * child only execs, so the raw system call is safe. */
static pid_t clone_into_cgroup(int cgroup_fd)
{
        struct clone_args args = {
                .flags = CLONE_INTO_CGROUP,
                .exit_signal = SIGCHLD,
                .cgroup = (uint64_t)cgroup_fd,
        };

        return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

/* The fallback child: it waits for one byte that says it is in its step.
 * EOF means the parent could not place it, and it exits unexecuted. */
static _Noreturn void child_wait_then_exec(int go_fd, int exec_error_fd, char **cmd,
                                           const sigset_t *mask)
{
        char go;
        ssize_t n;

        do
                n = read(go_fd, &go, 1);
        while (n < 0 && errno == EINTR);

        if (n != 1)
                _exit(EXIT_RUN_FAILED);
        child_exec(exec_error_fd, cmd, mask);
}

/* Forks the child where we are and has the daemon move it into the step
 * before it may exec.  On failure the child is reaped and *ret_pid stays
 * unset, so the caller knows that nothing ran. */
static int spawn_then_place(sd_bus *bus, struct run *run, int error_r, int error_w,
                            pid_t *ret_pid)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_close_ int go_r = -EBADF, go_w = -EBADF;
        pid_t pid;
        int r;

        r = make_pipe(&go_r, &go_w);
        if (r < 0)
                return r;

        pid = fork();
        if (pid < 0)
                return log_errno(negative_errno(), "cannot start the command");
        if (pid == 0) {
                close(error_r);
                close(go_w);
                child_wait_then_exec(go_r, error_w, run->cmd, &run->saved_mask);
        }

        /* Our unreaped child: its PID cannot name another process. */
        r = ctl_add_process(bus, run->session_name, run->step_name, pid, &error);
        if (r >= 0 && write(go_w, "", 1) != 1)
                r = log_errno(negative_errno(), "cannot let the command start");
        else if (r < 0)
                ctl_log_bus_error(&error, r, "cannot move the command into step %s/%s",
                                  run->session_name, run->step_name);
        if (r < 0) {
                closep(&go_w);
                (void)waitpid(pid, NULL, 0);
                return r;
        }

        *ret_pid = pid;
        return 0;
}

/* Starts the child that becomes CMD inside the step. */
static int spawn_in_step(sd_bus *bus, struct run *run)
{
        _cleanup_close_ int error_r = -EBADF, error_w = -EBADF;
        pid_t pid;
        int r;

        r = make_pipe(&error_r, &error_w);
        if (r < 0)
                return r;

        pid = clone_into_cgroup(run->cgroup_fd);
        if (pid < 0 && (errno == EACCES || errno == EPERM)) {
                r = spawn_then_place(bus, run, error_r, error_w, &pid);
                if (r < 0)
                        return r;
        } else if (pid < 0)
                return log_errno(negative_errno(), "cannot start the command in its step");

        if (pid == 0) {
                close(error_r);
                child_exec(error_w, run->cmd, &run->saved_mask);
        }

        run->pid = pid;
        run->exec_error_fd = TAKE_FD(error_r);
        return 0;
}

static char *run_pid_name(pid_t pid)
{
        char *name;

        if (asprintf(&name, "run-%d", (int)pid) < 0)
                return NULL;
        return name;
}

/* Our own session is run-PID with the step "main"; in a session of the
 * caller's the step is run-PID, so that concurrent runs do not collide.
 * PID is ours: the command does not exist yet. */
static int make_names(struct run *run)
{
        pid_t self = getpid();

        if (run->session) {
                run->session_name = strdup(run->session);
                run->step_name = run->step ? strdup(run->step) : run_pid_name(self);
        } else {
                run->session_name = run_pid_name(self);
                run->step_name = strdup(run->step ?: "main");
        }

        if (!run->session_name || !run->step_name)
                return log_errno(-ENOMEM, "cannot name the step");
        return 0;
}

/* Stops setup between two calls if a handled signal arrived during one:
 * it is pending, since they are blocked. */
static int check_interrupted(void)
{
        sigset_t pending;

        if (sigpending(&pending) < 0)
                return log_errno(negative_errno(), "cannot read pending signals");

        for (size_t i = 0; i < ELEMENTSOF(forwarded_signals); i++) {
                int sig = forwarded_signals[i];

                if (sigismember(&handled_signals, sig) && sigismember(&pending, sig)) {
                        received_signal = sig;
                        fprintf(stderr, "agentcgctl: interrupted (%s) before the command ran\n",
                                strsignal(sig));
                        return -EINTR;
                }
        }
        return 0;
}

static int create_session(sd_bus *bus, struct run *run)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        /* PID 0: the caller, us. */
        r = ctl_create_session(bus, run->session_name, 0, NULL, NULL, &error);
        if (r < 0)
                return ctl_log_bus_error(&error, r, "cannot create session %s",
                                         run->session_name);

        run->session_created = true;
        return check_interrupted();
}

static int create_step(sd_bus *bus, struct run *run)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = ctl_create_step(bus, run->session_name, run->step_name, &run->limits, NULL,
                            &run->cgroup_fd, &error);
        if (r < 0)
                return ctl_log_bus_error(&error, r, "cannot create step %s/%s",
                                         run->session_name, run->step_name);

        run->step_created = true;
        return check_interrupted();
}

/* Learns whether the exec worked.  A failed exec is no failure of ours:
 * the child exits 126 or 127 and we pass that on. */
static void check_exec(struct run *run)
{
        ssize_t n;
        int error;

        do
                n = read(run->exec_error_fd, &error, sizeof(error));
        while (n < 0 && errno == EINTR);

        if (n < 0)
                log_errno(negative_errno(), "cannot learn whether the command started, waiting");
        else if (n == sizeof(error))
                fprintf(stderr, "agentcgctl: cannot execute '%s': %s\n", run->cmd[0],
                        strerror(error));
}

/* Waits for the child to exit and returns its status the way a shell
 * reports it. */
static int reap_child(pid_t pid)
{
        siginfo_t si = {};
        int status;

        /* Wait without reaping first: the zombie keeps the pid from being
         * reused, so we can stop forwarding before it could name another
         * process. */
        while (waitid(P_PID, pid, &si, WEXITED | WNOWAIT) < 0)
                if (errno != EINTR) {
                        forward_pid = 0;
                        return log_errno(negative_errno(), "cannot wait for the command");
                }

        forward_pid = 0;

        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return log_errno(negative_errno(), "cannot reap the command");

        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return WEXITSTATUS(status);
}

/* Holds the handled signals back again for the calls that end the step. */
static void block_again(void)
{
        sigprocmask(SIG_BLOCK, &handled_signals, NULL);
}

static bool error_is_gone(const sd_bus_error *error)
{
        return sd_bus_error_has_names(error, AGENTCG_ERROR("NoSuchSession"),
                                      AGENTCG_ERROR("NoSuchStep"));
}

/* Ends the step, reporting a failure but going on: the exit status stays
 * the command's.  Our own session ends when we exit and leave it empty. */
static void end_created(sd_bus *bus, struct run *run)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if (!run->step_created)
                return;

        r = ctl_end_step(bus, run->session_name, run->step_name, 0, NULL, &error);
        if (r < 0 && !error_is_gone(&error))
                ctl_log_bus_error(&error, r, "cannot end step %s/%s", run->session_name,
                                  run->step_name);
}

/* Everything before the command runs: name the step and create it (and
 * our session); CreateStep hands back the step's directory fd. */
static int setup(sd_bus *bus, struct run *run)
{
        int r;

        r = make_names(run);
        if (r < 0)
                return r;

        if (!run->session) {
                r = create_session(bus, run);
                if (r < 0)
                        return r;
        }

        return create_step(bus, run);
}

/* From here on the command runs, and the handled signals are for it. */
static int start_command(sd_bus *bus, struct run *run)
{
        int r;

        r = spawn_in_step(bus, run);
        if (r < 0)
                return r;

        r = forward_signals_to(run->pid);
        if (r < 0)
                return r;

        if (sigprocmask(SIG_SETMASK, &run->saved_mask, NULL) < 0)
                return log_errno(negative_errno(), "cannot unblock signals");

        check_exec(run);
        return 0;
}

/* The command never ran: end what we created, and report either our
 * failure or the signal that stopped us. */
static int abort_run(sd_bus *bus, struct run *run)
{
        block_again();
        end_created(bus, run);

        return received_signal ? 128 + received_signal : EXIT_RUN_FAILED;
}

int verb_run(int argc, char **argv)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(run_done) struct run run = {
                .cgroup_fd = -EBADF,
                .exec_error_fd = -EBADF,
        };
        int r, status;

        r = parse_run(argc, argv, &run);
        if (r <= 0)
                return r < 0 ? EXIT_RUN_FAILED : EXIT_SUCCESS;

        r = ctl_bus_open(&bus);
        if (r < 0)
                return EXIT_RUN_FAILED;

        r = block_handled_signals(&run.saved_mask);
        if (r < 0)
                return EXIT_RUN_FAILED;

        r = setup(bus, &run);
        if (r < 0)
                return abort_run(bus, &run);

        r = start_command(bus, &run);
        if (r < 0 && run.pid <= 0)
                return abort_run(bus, &run);

        status = reap_child(run.pid);
        block_again();
        end_created(bus, &run);
        return status < 0 ? EXIT_RUN_FAILED : status;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * mpx_stall_test - an address space whose mmap_lock is stuck holds up no
 * other address space's first CREATE, and its own first CREATE dies on
 * SIGKILL.
 *
 * A process's first CREATE attaches the module's per-mm structure under
 * that mm's mmap_lock, taken for write and killably; nothing module-wide
 * may be held meanwhile. The test stalls one process's mmap_lock the way
 * any user can:
 *  - a FUSE server, written straight on /dev/fuse (no libfuse), serves one
 *    regular file of FILE_PAGES pages and never answers READ (it tells the
 *    test who asked instead);
 *  - process P maps the file (shared, read-only) without touching it;
 *  - helper H reads /proc/P/mem there: the remote fault waits for the READ
 *    answer holding P's mmap_lock for read (__access_remote_vm() faults
 *    without "locked", so the fault cannot drop it);
 *  - P's first CREATE now waits for its mmap_lock for write;
 *  - meanwhile process Q's first CREATE must complete, and SIGKILL must
 *    end P.
 * The teardown kills the server, which aborts the connection: H's read
 * fails and frees P's mmap_lock, so even a module that fails the test (a
 * global mutex, an unkillable wait) leaves nothing stuck. The stall lasts
 * seconds, well below the hung-task timeout. Without FUSE (no /dev/fuse
 * after modprobe fuse) the test skips.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/fuse.h>

#include "kselftest_harness.h"
#include "libmpx.h"
#include "mpx_sysfs.h"

#define FILE_NAME	"f"
#define FILE_INO	2	/* the root is FUSE_ROOT_ID */
#define FILE_PAGES	4
#define FUSE_BUF	(64 * 1024)	/* >= FUSE_MIN_READ_BUFFER */
#define READY_S		5	/* set-up steps, each */
#define CREATE_S	5	/* Q's first CREATE */
#define DEATH_S		10	/* P after SIGKILL, everything at teardown */

static long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* Milliseconds of CLOCK_MONOTONIC. */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Write one message (a value or -errno) on a pipe; children use it. */
static void send_msg(int fd, long long v)
{
	if (write(fd, &v, sizeof(v)) != sizeof(v))
		_exit(3);
}

/*
 * One message from a pipe within @s seconds: 0, -ETIMEDOUT, or -EPIPE
 * when the writer went away first.
 */
static int recv_msg(int fd, long long *v, int s)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n;

	n = poll(&p, 1, s * 1000);
	if (n < 0)
		return -errno;
	if (!n)
		return -ETIMEDOUT;
	n = read(fd, v, sizeof(*v));
	return n == sizeof(*v) ? 0 : -EPIPE;
}

/* Reap @pid within @s seconds: its wait status, or -1 if it lives on. */
static int reap(pid_t pid, int s)
{
	long long end = now_ms() + s * 1000LL;
	int status;

	do {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid || (r < 0 && errno != EINTR))
			return r == pid ? status : 0;
		usleep(10000);
	} while (now_ms() < end);
	return -1;
}

/* The state letter of /proc/PID/stat (R, S, D, Z...), '?' if unreadable. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] ? p[2] : '?';
}

/* Where /proc/PID/wchan says @pid sleeps, into @buf. */
static const char *proc_wchan(pid_t pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/wchan", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, buf, size - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		snprintf(buf, size, "?");
	else
		buf[n] = '\0';
	return buf;
}

/* A child that dies with its parent, so a killed test leaves none. */
static pid_t fork_child(void)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(4);
	}
	return pid;
}

/* /dev/fuse opened, trying modprobe fuse once; -errno without FUSE. */
static int fuse_open(void)
{
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (system("modprobe fuse >/dev/null 2>&1") == -1)
		return -errno;
	fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* "fuse" is a filesystem of /proc/filesystems. */
static int fuse_listed(void)
{
	char line[128];
	int found = 0;
	FILE *f;

	f = fopen("/proc/filesystems", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strcmp(line, "nodev\tfuse\n"))
			found = 1;
	fclose(f);
	return found;
}

static void fuse_attr_of(__u64 ino, struct fuse_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = ino;
	a->blksize = page_size();
	if (ino == FUSE_ROOT_ID) {
		a->mode = S_IFDIR | 0755;
		a->nlink = 2;
	} else {
		a->mode = S_IFREG | 0444;
		a->nlink = 1;
		a->size = FILE_PAGES * page_size();
		a->blocks = a->size / 512;
	}
}

/* Answer request @in: @error (negative errno), or @len bytes of @arg. */
static void fuse_reply(int fd, const struct fuse_in_header *in, int error,
		       const void *arg, size_t len)
{
	char buf[sizeof(struct fuse_out_header) + 256];
	struct fuse_out_header *out = (struct fuse_out_header *)buf;

	if (error || len > sizeof(buf) - sizeof(*out))
		len = 0;
	out->len = sizeof(*out) + len;
	out->error = error;
	out->unique = in->unique;
	memcpy(out + 1, arg, len);
	/* Fails only for a request the kernel gave up on: nothing to do. */
	if (write(fd, buf, out->len) < 0)
		return;
}

/*
 * The server: one directory (the root) holding FILE_NAME. Each READ's
 * pid goes to @note, and the READ is never answered. Runs until the
 * connection goes (unmount, abort) or it is killed.
 */
static void __attribute__((noreturn)) fuse_serve(int fd, int note)
{
	char *buf = malloc(FUSE_BUF);
	struct fuse_in_header *in = (struct fuse_in_header *)buf;
	void *arg = in + 1;
	ssize_t n;

	if (!buf)
		_exit(2);
	for (;;) {
		n = read(fd, buf, FUSE_BUF);
		if (n < 0 && (errno == EINTR || errno == ENOENT))
			continue;
		if (n < (ssize_t)sizeof(*in))
			_exit(0);
		switch (in->opcode) {
		case FUSE_INIT: {
			const struct fuse_init_in *ii = arg;
			struct fuse_init_out io = {
				.major = FUSE_KERNEL_VERSION,
				.minor = ii->minor < FUSE_KERNEL_MINOR_VERSION ?
					 ii->minor : FUSE_KERNEL_MINOR_VERSION,
				.max_readahead = ii->max_readahead,
				.max_background = 16,
				.congestion_threshold = 12,
				.max_write = 4096,
				.time_gran = 1,
			};

			fuse_reply(fd, in, 0, &io, sizeof(io));
			break;
		}
		case FUSE_LOOKUP: {
			struct fuse_entry_out eo = {
				.nodeid = FILE_INO,
				.entry_valid = 3600,
				.attr_valid = 3600,
			};

			if (in->nodeid != FUSE_ROOT_ID ||
			    strcmp((const char *)arg, FILE_NAME)) {
				fuse_reply(fd, in, -ENOENT, NULL, 0);
				break;
			}
			fuse_attr_of(FILE_INO, &eo.attr);
			fuse_reply(fd, in, 0, &eo, sizeof(eo));
			break;
		}
		case FUSE_GETATTR: {
			struct fuse_attr_out ao = { .attr_valid = 3600 };

			fuse_attr_of(in->nodeid, &ao.attr);
			fuse_reply(fd, in, 0, &ao, sizeof(ao));
			break;
		}
		case FUSE_OPEN: {
			struct fuse_open_out oo = { .fh = 1 };

			fuse_reply(fd, in, 0, &oo, sizeof(oo));
			break;
		}
		case FUSE_FLUSH:
		case FUSE_RELEASE:
			fuse_reply(fd, in, 0, NULL, 0);
			break;
		case FUSE_READ:
			send_msg(note, in->pid);
			break;
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
		case FUSE_INTERRUPT:
			break;	/* these take no answer */
		default:
			/*
			 * The protocol's "not implemented" is ENOSYS, which
			 * checkpatch reserves for system calls; none of the
			 * other requests is on the test's path.
			 */
			fuse_reply(fd, in, -EOPNOTSUPP, NULL, 0);
			break;
		}
	}
}

/*
 * P (@path set) or Q: map @path, if any, and a page of anonymous memory;
 * open /dev/mpx; send the mapping's address (Q: 1) or -errno on @msg;
 * wait for a byte on @cmd, then make the first CREATE and send its
 * result (the key, or -errno).
 */
static void __attribute__((noreturn)) creator(const char *path, int msg,
					      int cmd)
{
	long page = page_size();
	void *map = (void *)1;
	char *buf, go;
	int fd, key;

	if (path) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			send_msg(msg, -errno);
			_exit(1);
		}
		map = mmap(NULL, FILE_PAGES * page, PROT_READ, MAP_SHARED,
			   fd, 0);
		if (map == MAP_FAILED) {
			send_msg(msg, -errno);
			_exit(1);
		}
	}
	buf = mmap(NULL, page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED || mpx_fd() < 0) {
		send_msg(msg, -errno);
		_exit(1);
	}
	buf[0] = 1;
	send_msg(msg, (uintptr_t)map);
	if (read(cmd, &go, 1) != 1)
		_exit(1);
	key = mpx(buf, page, 0, MPX_OP_CREATE);
	send_msg(msg, key < 0 ? -errno : key);
	_exit(0);
}

/* H: read a byte of @victim's memory at @addr, which faults in FUSE. */
static void __attribute__((noreturn)) reader(pid_t victim, __u64 addr)
{
	char path[64], c;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", victim);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		_exit(2);
	_exit(pread(fd, &c, 1, addr) == 1 ? 0 : 1);
}

FIXTURE(stall) {
	char dir[64];
	int mounted;
	pid_t server, p, q, h;
	int note;		/* the server's READ pids */
	int p_msg, p_cmd;	/* from and to P */
	int q_msg, q_cmd;	/* from and to Q */
	int q_went;		/* Q was told to CREATE */
};

FIXTURE_SETUP(stall)
{
	self->note = -1;
	self->p_msg = -1;
	self->p_cmd = -1;
	self->q_msg = -1;
	self->q_cmd = -1;
	signal(SIGPIPE, SIG_IGN);
}

/* Kill and reap *@pid, if any; false if it outlives DEATH_S. */
static int kill_reap(pid_t *pid)
{
	if (*pid <= 0)
		return 1;
	kill(*pid, SIGKILL);
	if (reap(*pid, DEATH_S * mpx_slow()) == -1)
		return 0;
	*pid = 0;
	return 1;
}

/*
 * The server first: killing it closes the last /dev/fuse descriptor,
 * which aborts the connection, fails H's read and frees P's mmap_lock
 * whatever the module does. Then everyone else, and the mount.
 */
FIXTURE_TEARDOWN(stall)
{
	long long v;
	int *fds[] = { &self->note, &self->p_msg, &self->p_cmd, &self->q_msg,
		       &self->q_cmd };
	unsigned int i;

	EXPECT_TRUE(kill_reap(&self->server))
		TH_LOG("the FUSE server outlived SIGKILL");
	if (self->q > 0 && self->q_went &&
	    !recv_msg(self->q_msg, &v, DEATH_S * mpx_slow()))
		TH_LOG("after the abort Q's CREATE returned %lld", v);
	EXPECT_TRUE(kill_reap(&self->h))
		TH_LOG("H outlived SIGKILL and the FUSE abort");
	EXPECT_TRUE(kill_reap(&self->p))
		TH_LOG("P outlived SIGKILL and the FUSE abort");
	EXPECT_TRUE(kill_reap(&self->q))
		TH_LOG("Q outlived SIGKILL and the FUSE abort");
	if (self->mounted) {
		EXPECT_EQ(0, umount2(self->dir, MNT_DETACH))
			TH_LOG("umount %s: %m", self->dir);
		rmdir(self->dir);
	}
	for (i = 0; i < ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
}

/* Fork a creator with its two pipes; *@msg and *@cmd get the far ends. */
static pid_t spawn_creator(const char *path, int *msg, int *cmd)
{
	int m[2], c[2];
	pid_t pid;

	if (pipe2(m, O_CLOEXEC) || pipe2(c, O_CLOEXEC))
		return -1;
	pid = fork_child();
	if (pid == 0) {
		close(m[0]);
		close(c[1]);
		creator(path, m[1], c[0]);
	}
	close(m[1]);
	close(c[0]);
	*msg = m[0];
	*cmd = c[1];
	return pid;
}

TEST_F_TIMEOUT(stall, other_mm_creates_and_stalled_one_dies, 120)
{
	char opts[128], path[96], wchan[64];
	int fuse, note[2], ret, slow = mpx_slow();
	long long v, addr, end;
	char state = '?';

	fuse = fuse_open();
	if (fuse < 0 && !fuse_listed())
		SKIP(return, "no FUSE: /dev/fuse: %s, none in /proc/filesystems",
		     strerror(-fuse));
	ASSERT_LE(0, fuse) TH_LOG("/dev/fuse: %s", strerror(-fuse));

	snprintf(self->dir, sizeof(self->dir), "/tmp/mpx_stall.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0", fuse);
	ret = mount("mpx_stall", self->dir, "fuse", MS_NOSUID | MS_NODEV,
		    opts);
	if (ret && errno == EPERM) {
		rmdir(self->dir);
		close(fuse);
		SKIP(return, "mounting FUSE needs root");
	}
	ASSERT_EQ(0, ret) TH_LOG("mount fuse on %s: %m", self->dir);
	self->mounted = 1;

	ASSERT_EQ(0, pipe2(note, O_CLOEXEC));
	self->server = fork_child();
	ASSERT_LE(0, self->server);
	if (self->server == 0) {
		close(note[0]);
		fuse_serve(fuse, note[1]);
	}
	/* The server holds the only /dev/fuse descriptor from now on. */
	close(fuse);
	close(note[1]);
	self->note = note[0];

	snprintf(path, sizeof(path), "%s/%s", self->dir, FILE_NAME);
	self->p = spawn_creator(path, &self->p_msg, &self->p_cmd);
	ASSERT_LT(0, self->p);
	ret = recv_msg(self->p_msg, &addr, READY_S * slow);
	ASSERT_EQ(0, ret) TH_LOG("P never mapped %s: %s", path,
				 strerror(-ret));
	ASSERT_LT(0, addr) TH_LOG("P: mapping %s: %s", path,
				  strerror((int)-addr));
	self->q = spawn_creator(NULL, &self->q_msg, &self->q_cmd);
	ASSERT_LT(0, self->q);
	ret = recv_msg(self->q_msg, &v, READY_S * slow);
	ASSERT_EQ(0, ret) TH_LOG("Q never got ready: %s", strerror(-ret));
	ASSERT_LT(0, v) TH_LOG("Q: %s", strerror((int)-v));

	/* H holds P's mmap_lock for read once the server sees its READ. */
	self->h = fork_child();
	ASSERT_LE(0, self->h);
	if (self->h == 0)
		reader(self->p, addr);
	ret = recv_msg(self->note, &v, READY_S * slow);
	ASSERT_EQ(0, ret)
		TH_LOG("H's read of /proc/%d/mem at 0x%llx: no FUSE READ in %d s (%s, H %c)",
		       self->p, addr, READY_S * slow, strerror(-ret),
		       proc_state(self->h));
	ASSERT_EQ(self->h, v) TH_LOG("the READ came from pid %lld", v);
	TH_LOG("H (pid %d) faults on P's mapping: state %c, wchan %s",
	       self->h, proc_state(self->h),
	       proc_wchan(self->h, wchan, sizeof(wchan)));

	/* P's first CREATE waits for P's mmap_lock for write. */
	ASSERT_EQ(1, write(self->p_cmd, "", 1));
	end = now_ms() + READY_S * slow * 1000LL;
	while (now_ms() < end) {
		state = proc_state(self->p);
		if (state == 'D')
			break;
		usleep(10000);
	}
	ret = recv_msg(self->p_msg, &v, 0);
	ASSERT_EQ(-ETIMEDOUT, ret)
		TH_LOG("P's CREATE returned %lld while H held P's mmap_lock: nothing stalled",
		       v);
	ASSERT_EQ('D', state)
		TH_LOG("P's CREATE is not waiting on a lock after %d s: state %c",
		       READY_S * slow, state);
	TH_LOG("P (pid %d) waits in its first CREATE: state %c, wchan %s",
	       self->p, state, proc_wchan(self->p, wchan, sizeof(wchan)));

	/* Q's first CREATE, in another address space, must not wait. */
	ASSERT_EQ(1, write(self->q_cmd, "", 1));
	self->q_went = 1;
	ret = recv_msg(self->q_msg, &v, CREATE_S * slow);
	EXPECT_EQ(0, ret) {
		TH_LOG("Q's first CREATE did not return within %d s (Q %c in %s)",
		       CREATE_S * slow, proc_state(self->q),
		       proc_wchan(self->q, wchan, sizeof(wchan)));
		TH_LOG("while P's first CREATE waited on P's own mmap_lock:");
		TH_LOG("the first CREATEs of different address spaces are serialised");
	}
	if (!ret)
		EXPECT_LT(0, v) TH_LOG("Q's first CREATE: %s",
				       strerror((int)-v));

	/* And SIGKILL ends P's wait. */
	ASSERT_EQ(0, kill(self->p, SIGKILL));
	ret = reap(self->p, DEATH_S * slow);
	EXPECT_NE(-1, ret) {
		TH_LOG("P did not die within %d s of SIGKILL (P %c in %s)",
		       DEATH_S * slow, proc_state(self->p),
		       proc_wchan(self->p, wchan, sizeof(wchan)));
		TH_LOG("while its first CREATE waited on its mmap_lock:");
		TH_LOG("that wait is not killable");
	}
	if (ret != -1) {
		self->p = 0;
		EXPECT_TRUE(WIFSIGNALED(ret) && WTERMSIG(ret) == SIGKILL)
			TH_LOG("P ended with status 0x%x, not by SIGKILL", ret);
	}
}

TEST_HARNESS_MAIN

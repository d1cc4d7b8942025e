/*
 * nsutil - the lab runtime's native namespace helper (libc only).
 *
 *   nsutil exec [--userns P] [--mountns P] [--net P] [--newmount] [--bind SRC:DST]... [--remount-sys]
 *               [--hostname NAME] [--cwd DIR] [--env K=V]... [--die-with-parent] -- argv...
 *       Enter namespaces by path (user, then mount, then net), optionally give the program a private
 *       mount namespace with node-private files bound over their usual paths and a sysfs of its own
 *       network namespace, a hostname of its own, then exec it.
 *   nsutil broker [--userns P] [--mountns P]
 *       Speak Node's child_process IPC protocol on $NODE_CHANNEL_FD: create sockets inside network
 *       namespaces on request and pass them to the daemon as net.Server / dgram.Socket / net.Socket.
 *   nsutil hold --tag TAG
 *       Create and hold a user + mount + network namespace for a rootless sandbox (tmpfs TAG on
 *       /run/netns); prints "ready PID" and waits to be killed (or for its parent to die).
 *   nsutil netns-add [--userns P] [--mountns P] DIR NAME...
 *   nsutil netns-del [--userns P] [--mountns P] PATH...
 *       Create (loopback up) / remove network namespaces bound on files, as `ip netns` does.
 *
 * Exit status: 125 when nsutil itself fails, 126/127 when the program cannot be executed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define FAIL 125
#define SHADOW_SOURCE "svcl-shadow"

static void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void die(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("nsutil: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(code);
}

static void enter_ns(const char *path, int nstype, const char *what)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(FAIL, "open %s namespace %s: %s", what, path, strerror(errno));
	if (setns(fd, nstype) < 0)
		die(FAIL, "enter %s namespace %s: %s", what, path, strerror(errno));
	close(fd);
}

/* The user namespace must be entered first: it grants the capabilities the others need. */
static void enter_common(const char *userns, const char *mountns)
{
	if (userns)
		enter_ns(userns, CLONE_NEWUSER, "user");
	if (mountns)
		enter_ns(mountns, CLONE_NEWNS, "mount");
}

/* SIGKILL when the spawning process dies. It may have died already, before this ran: then our
 * parent is some reaper, which only the parent's pid (passed in NSUTIL_PARENT_PID) reveals. */
static pid_t expected_parent;

static void die_with_parent(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != expected_parent)
		_exit(FAIL);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return;
		die(FAIL, "open %s: %s", path, strerror(errno));
	}
	size_t len = strlen(text);
	if (write(fd, text, len) != (ssize_t)len)
		die(FAIL, "write %s: %s", path, strerror(errno));
	close(fd);
}

/* ------------------------------------------------------------------------------------------------
 * Mount points that do not exist on the host (/etc/cni, /run/flannel ...) are made without touching
 * the host's filesystem: the parent directory is replaced, in this private mount namespace only, by
 * a tmpfs that mirrors it (every entry bound back from the original, symlinks copied), and the
 * missing entry is created in that tmpfs. Such tmpfs carry the source name SHADOW_SOURCE, so a later
 * nsutil (in a copy of this mount namespace) can create further mount points in them directly.
 */

static int is_shadow_dir(const char *dir)
{
	struct stat st;
	if (stat(dir, &st) < 0)
		return 0;
	char want[32];
	snprintf(want, sizeof want, "%u:%u", major(st.st_dev), minor(st.st_dev));
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return 0;
	char *line = NULL;
	size_t cap = 0;
	int found = 0;
	while (!found && getline(&line, &cap, f) > 0) {
		/* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
		char *save = NULL, *tok;
		int field = 0;
		int dev_ok = 0;
		for (tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save), field++) {
			if (field == 2)
				dev_ok = strcmp(tok, want) == 0;
			if (strcmp(tok, "-") == 0) {
				char *fstype = strtok_r(NULL, " ", &save);
				char *source = strtok_r(NULL, " ", &save);
				found = dev_ok && fstype && source && strcmp(fstype, "tmpfs") == 0 &&
					strcmp(source, SHADOW_SOURCE) == 0;
				break;
			}
		}
	}
	free(line);
	fclose(f);
	return found;
}

static int in_list(const char *name, const char *const *skip)
{
	for (; skip && *skip; skip++)
		if (strcmp(name, *skip) == 0)
			return 1;
	return 0;
}

static void shadow_dir(const char *dir, const char *const *skip)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		die(FAIL, "open %s: %s", dir, strerror(errno));
	struct stat dst;
	if (fstat(dfd, &dst) < 0)
		die(FAIL, "stat %s: %s", dir, strerror(errno));
	char opts[32];
	snprintf(opts, sizeof opts, "mode=%o", (unsigned)(dst.st_mode & 07777));
	if (mount(SHADOW_SOURCE, dir, "tmpfs", 0, opts) < 0)
		die(FAIL, "mount tmpfs over %s (to make a mount point): %s", dir, strerror(errno));
	if (chown(dir, dst.st_uid, dst.st_gid) < 0) {
		/* owner not mapped in this user namespace: keep ours */
	}
	DIR *d = fdopendir(dup(dfd));
	if (!d)
		die(FAIL, "read %s: %s", dir, strerror(errno));
	struct dirent *e;
	char target[PATH_MAX], source[PATH_MAX], link[PATH_MAX];
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || in_list(e->d_name, skip))
			continue;
		struct stat st;
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		snprintf(target, sizeof target, "%s/%s", strcmp(dir, "/") ? dir : "", e->d_name);
		snprintf(source, sizeof source, "/proc/self/fd/%d/%s", dfd, e->d_name);
		if (S_ISLNK(st.st_mode)) {
			ssize_t n = readlinkat(dfd, e->d_name, link, sizeof link - 1);
			if (n < 0)
				continue;
			link[n] = 0;
			if (symlink(link, target) < 0)
				die(FAIL, "symlink %s: %s", target, strerror(errno));
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (mkdir(target, st.st_mode & 07777) < 0)
				die(FAIL, "mkdir %s: %s", target, strerror(errno));
		} else {
			int f = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777);
			if (f < 0)
				die(FAIL, "create %s: %s", target, strerror(errno));
			close(f);
		}
		if (mount(source, target, NULL, MS_BIND | MS_REC, NULL) < 0) {
			if (errno == ENOENT)
				continue; /* removed meanwhile */
			die(FAIL, "bind %s/%s back into its mirror: %s", dir, e->d_name, strerror(errno));
		}
	}
	closedir(d);
	close(dfd);
}

static void split_path(const char *path, char *parent, size_t cap, const char **base)
{
	snprintf(parent, cap, "%s", path);
	size_t len = strlen(parent);
	while (len > 1 && parent[len - 1] == '/')
		parent[--len] = 0;
	char *slash = strrchr(parent, '/');
	if (!slash)
		die(FAIL, "mount point %s: not an absolute path", path);
	*base = path + (slash - parent) + 1;
	if (slash == parent)
		slash[1] = 0;
	else
		*slash = 0;
}

static void ensure_mountpoint(const char *path, int want_dir)
{
	struct stat st;
	if (stat(path, &st) == 0)
		return;
	if (errno != ENOENT)
		die(FAIL, "stat %s: %s", path, strerror(errno));
	if (strcmp(path, "/") == 0)
		die(FAIL, "no root directory");
	char parent[PATH_MAX];
	const char *base;
	split_path(path, parent, sizeof parent, &base);
	char name[NAME_MAX + 1];
	snprintf(name, sizeof name, "%.*s", (int)strcspn(base, "/"), base);
	ensure_mountpoint(parent, 1);
	if (is_shadow_dir(parent)) {
		struct stat lst;
		if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
			unlink(path); /* a dangling symlink copied into the mirror */
	} else {
		const char *skip[] = {name, NULL};
		shadow_dir(parent, skip);
	}
	if (want_dir) {
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			die(FAIL, "mkdir %s: %s", path, strerror(errno));
	} else {
		int f = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (f < 0)
			die(FAIL, "create %s: %s", path, strerror(errno));
		close(f);
	}
}

/* ------------------------------------------------------------------------------------------------ */

static void remount_sys(void)
{
	unsigned long flags = 0;
	struct statvfs sv;
	/* In a user namespace the inherited /sys is locked and cannot be unmounted: cover it instead. */
	if (umount2("/sys", MNT_DETACH) < 0 && statvfs("/sys", &sv) == 0 && (sv.f_flag & ST_RDONLY))
		flags |= MS_RDONLY;
	if (mount("sysfs", "/sys", "sysfs", flags, NULL) < 0)
		die(FAIL, "mount sysfs on /sys: %s", strerror(errno));
}

static int cmd_exec(int argc, char **argv)
{
	const char *userns = NULL, *mountns = NULL, *net = NULL, *hostname = NULL, *cwd = NULL;
	int newmount = 0, remount = 0, pdeath = 0, nbinds = 0;
	char **binds = calloc(argc, sizeof *binds);
	int i;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(a, "--newmount") == 0) {
			newmount = 1;
			continue;
		}
		if (strcmp(a, "--remount-sys") == 0) {
			remount = newmount = 1;
			continue;
		}
		if (strcmp(a, "--die-with-parent") == 0) {
			pdeath = 1;
			continue;
		}
		if (!v)
			die(FAIL, "exec: %s needs a value", a);
		if (strcmp(a, "--userns") == 0)
			userns = v;
		else if (strcmp(a, "--mountns") == 0)
			mountns = v;
		else if (strcmp(a, "--net") == 0)
			net = v;
		else if (strcmp(a, "--hostname") == 0)
			hostname = v;
		else if (strcmp(a, "--cwd") == 0)
			cwd = v;
		else if (strcmp(a, "--env") == 0) {
			if (!strchr(v, '='))
				die(FAIL, "exec: --env %s: expected K=V", v);
			putenv((char *)v);
		} else if (strcmp(a, "--bind") == 0) {
			if (!strchr(v, ':'))
				die(FAIL, "exec: --bind %s: expected SRC:DST", v);
			binds[nbinds++] = (char *)v;
			newmount = 1;
		} else
			die(FAIL, "exec: unknown option %s", a);
		i++;
	}
	if (i >= argc)
		die(FAIL, "exec: no program given (nsutil exec [options] -- argv...)");

	enter_common(userns, mountns);
	if (net)
		enter_ns(net, CLONE_NEWNET, "network");
	if (newmount) {
		if (unshare(CLONE_NEWNS) < 0)
			die(FAIL, "unshare(mount): %s", strerror(errno));
		/* slave, not private: a namespace deleted later is unmounted here too and can be freed */
		if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
			die(FAIL, "make / a slave mount: %s", strerror(errno));
	}
	if (remount)
		remount_sys();
	for (int b = 0; b < nbinds; b++) {
		char *sep = strchr(binds[b], ':');
		*sep = 0;
		const char *src = binds[b], *dst = sep + 1;
		struct stat st;
		if (stat(src, &st) < 0)
			die(FAIL, "bind source %s: %s", src, strerror(errno));
		ensure_mountpoint(dst, S_ISDIR(st.st_mode));
		if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
			die(FAIL, "bind %s on %s: %s", src, dst, strerror(errno));
	}
	if (hostname) {
		if (unshare(CLONE_NEWUTS) < 0)
			die(FAIL, "unshare(uts): %s", strerror(errno));
		if (sethostname(hostname, strlen(hostname)) < 0)
			die(FAIL, "sethostname %s: %s", hostname, strerror(errno));
	}
	if (cwd && chdir(cwd) < 0)
		die(FAIL, "chdir %s: %s", cwd, strerror(errno));
	if (pdeath)
		die_with_parent();
	execvp(argv[i], argv + i);
	int code = errno == ENOENT ? 127 : 126;
	die(code, "%s: %s", argv[i], strerror(errno));
}

/* ------------------------------------------------------------------------------------------------ */

static void lo_up(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		die(FAIL, "socket: %s", strerror(errno));
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		die(FAIL, "get flags of lo: %s", strerror(errno));
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		die(FAIL, "set lo up: %s", strerror(errno));
	close(s);
}

static int parse_ns_opts(int argc, char **argv, const char **userns, const char **mountns)
{
	int i = 0;
	while (i + 1 < argc && strncmp(argv[i], "--", 2) == 0) {
		if (strcmp(argv[i], "--userns") == 0)
			*userns = argv[i + 1];
		else if (strcmp(argv[i], "--mountns") == 0)
			*mountns = argv[i + 1];
		else
			die(FAIL, "unknown option %s", argv[i]);
		i += 2;
	}
	return i;
}

static int cmd_netns_add(int argc, char **argv)
{
	const char *userns = NULL, *mountns = NULL;
	int i = parse_ns_opts(argc, argv, &userns, &mountns);
	if (argc - i < 2)
		die(FAIL, "netns-add: usage: netns-add [--userns P] [--mountns P] DIR NAME...");
	const char *dir = argv[i++];
	die_with_parent(); /* an owner killed mid-way must not get namespaces created after its death */
	enter_common(userns, mountns);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		die(FAIL, "mkdir %s: %s", dir, strerror(errno));
	/* Like `ip netns add`: the directory is a shared mount, so unmounting a namespace file also
	 * unmounts its copies in the private mount namespaces of programs started with exec. */
	if (mount("", dir, "none", MS_SHARED | MS_REC, NULL) < 0) {
		if (errno != EINVAL)
			die(FAIL, "make %s shared: %s", dir, strerror(errno));
		if (mount(dir, dir, "none", MS_BIND | MS_REC, NULL) < 0 ||
		    mount("", dir, "none", MS_SHARED | MS_REC, NULL) < 0)
			die(FAIL, "make %s a shared mount: %s", dir, strerror(errno));
	}
	/* Each unshare starts from the previous new namespace; there is no need to go back (and in a
	 * user namespace no right to: the original belongs to the parent user namespace). */
	char path[PATH_MAX];
	for (; i < argc; i++) {
		if (!argv[i][0] || strchr(argv[i], '/'))
			die(FAIL, "netns-add: bad name '%s'", argv[i]);
		snprintf(path, sizeof path, "%s/%s", dir, argv[i]);
		int f = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
		if (f < 0)
			die(FAIL, "create %s: %s", path, strerror(errno));
		close(f);
		if (unshare(CLONE_NEWNET) < 0) {
			int e = errno;
			unlink(path);
			die(FAIL, "unshare(net): %s", strerror(e));
		}
		lo_up();
		if (mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0) {
			int e = errno;
			unlink(path);
			die(FAIL, "bind network namespace on %s: %s", path, strerror(e));
		}
	}
	return 0;
}

static int cmd_netns_del(int argc, char **argv)
{
	const char *userns = NULL, *mountns = NULL;
	int i = parse_ns_opts(argc, argv, &userns, &mountns);
	die_with_parent();
	enter_common(userns, mountns);
	int status = 0;
	for (; i < argc; i++) {
		if (umount2(argv[i], MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) {
			fprintf(stderr, "nsutil: unmount %s: %s\n", argv[i], strerror(errno));
			status = FAIL;
			continue;
		}
		if (unlink(argv[i]) < 0 && errno != ENOENT) {
			fprintf(stderr, "nsutil: remove %s: %s\n", argv[i], strerror(errno));
			status = FAIL;
		}
	}
	return status;
}

/* ------------------------------------------------------------------------------------------------ */

static int cmd_hold(int argc, char **argv)
{
	const char *tag = "svcl-sandbox";
	for (int i = 0; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--tag") == 0)
			tag = argv[i + 1];
		else
			die(FAIL, "hold: unknown option %s", argv[i]);
	}
	die_with_parent();
	uid_t uid = geteuid();
	gid_t gid = getegid();
	/* The network namespace is the sandbox's own scratch space (where veth pairs are made before
	 * their ends move into nodes): the host's cannot be changed from inside the user namespace. */
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET) < 0)
		die(FAIL, "unshare(user, mount, net): %s (are unprivileged user namespaces allowed? see labctl doctor)",
		    strerror(errno));
	/* credentials changed: make sure the parent-death signal and /proc access survive */
	die_with_parent();
	prctl(PR_SET_DUMPABLE, 1);
	char map[64];
	write_file("/proc/self/setgroups", "deny");
	snprintf(map, sizeof map, "0 %u 1\n", (unsigned)uid);
	write_file("/proc/self/uid_map", map);
	snprintf(map, sizeof map, "0 %u 1\n", (unsigned)gid);
	write_file("/proc/self/gid_map", map);
	lo_up();
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die(FAIL, "make / private: %s", strerror(errno));
	/* /run is mirrored so /run/netns and a writable xtables lock exist without touching the host */
	const char *skip[] = {"netns", "xtables.lock", NULL};
	shadow_dir("/run", skip);
	if (mkdir("/run/netns", 0755) < 0)
		die(FAIL, "mkdir /run/netns: %s", strerror(errno));
	int lock = open("/run/xtables.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0)
		die(FAIL, "create /run/xtables.lock: %s", strerror(errno));
	close(lock);
	if (mount(tag, "/run/netns", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755") < 0)
		die(FAIL, "mount tmpfs on /run/netns: %s", strerror(errno));
	if (mount(NULL, "/run/netns", NULL, MS_SHARED, NULL) < 0)
		die(FAIL, "make /run/netns shared: %s", strerror(errno));
	if (chdir("/") < 0)
		die(FAIL, "chdir /: %s", strerror(errno));
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 1);
		close(null);
	}
	for (;;)
		pause();
}

/* ------------------------------------------------------------------------------------------------
 * broker: Node's IPC channel carries one JSON document per line. A socket travels as SCM_RIGHTS
 * with the line {"cmd":"NODE_HANDLE","type":...,"msg":{...}}; the receiver answers
 * {"cmd":"NODE_HANDLE_ACK"} (or _NACK when the descriptor was lost), and only then may the next
 * handle be sent.
 */

struct request {
	long long id;
	int has_id;
	char cmd[32], op[32];
	char net[PATH_MAX], host[64], local_host[64];
	long long port, local_port, backlog, timeout_ms, reuse_addr;
};

struct outmsg {
	struct outmsg *next;
	char *line;
	int fd;
	int tries;
	long long id;
};

struct pending {
	int fd;
	long long id;
	long long deadline;
	char what[128];
};

static int ipc = -1;
static int self_net = -1;
static struct outmsg *outq, *outq_tail;
static int awaiting_ack;
static struct pending *pend;
static int npend, cappend;

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- a JSON reader for the flat request objects the daemon sends --- */

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

static const char *read_string(const char *p, char *out, size_t cap)
{
	size_t n = 0;
	if (*p != '"')
		return NULL;
	for (p++; *p && *p != '"'; p++) {
		unsigned c = (unsigned char)*p;
		char buf[4];
		size_t blen = 1;
		buf[0] = (char)c;
		if (c == '\\') {
			p++;
			switch (*p) {
			case 'n': buf[0] = '\n'; break;
			case 't': buf[0] = '\t'; break;
			case 'r': buf[0] = '\r'; break;
			case 'b': buf[0] = '\b'; break;
			case 'f': buf[0] = '\f'; break;
			case 'u': {
				unsigned v = 0;
				for (int k = 1; k <= 4; k++) {
					char h = p[k];
					if (!h)
						return NULL;
					v = v * 16 + (unsigned)(h >= 'a' ? h - 'a' + 10 : h >= 'A' ? h - 'A' + 10 : h - '0');
				}
				p += 4;
				if (v < 0x80) {
					buf[0] = (char)v;
				} else if (v < 0x800) {
					buf[0] = (char)(0xc0 | (v >> 6));
					buf[1] = (char)(0x80 | (v & 0x3f));
					blen = 2;
				} else {
					buf[0] = (char)(0xe0 | (v >> 12));
					buf[1] = (char)(0x80 | ((v >> 6) & 0x3f));
					buf[2] = (char)(0x80 | (v & 0x3f));
					blen = 3;
				}
				break;
			}
			case 0: return NULL;
			default: buf[0] = *p; break;
			}
		}
		for (size_t k = 0; k < blen; k++)
			if (n + 1 < cap)
				out[n++] = buf[k];
	}
	if (*p != '"')
		return NULL;
	if (cap)
		out[n < cap ? n : cap - 1] = 0;
	return p + 1;
}

static const char *skip_value(const char *p)
{
	int depth = 0;
	do {
		p = ws(p);
		if (*p == '"') {
			char tmp[1];
			p = read_string(p, tmp, 0);
			if (!p)
				return NULL;
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if ((*p == '}' || *p == ']') && depth > 0)
			depth--;
		else if (!*p)
			return NULL;
		else if (depth == 0) {
			while (*p && *p != ',' && *p != '}' && *p != ']')
				p++;
			return p;
		}
		p++;
	} while (depth > 0);
	return p;
}

static int parse_request(const char *line, struct request *r)
{
	memset(r, 0, sizeof *r);
	r->port = r->local_port = -1;
	const char *p = ws(line);
	if (*p != '{')
		return -1;
	p = ws(p + 1);
	if (*p == '}')
		return 0;
	for (;;) {
		char key[32];
		p = read_string(ws(p), key, sizeof key);
		if (!p)
			return -1;
		p = ws(p);
		if (*p != ':')
			return -1;
		p = ws(p + 1);
		char *sdst = NULL;
		size_t scap = 0;
		long long *ndst = NULL;
		if (!strcmp(key, "cmd")) sdst = r->cmd, scap = sizeof r->cmd;
		else if (!strcmp(key, "op")) sdst = r->op, scap = sizeof r->op;
		else if (!strcmp(key, "net")) sdst = r->net, scap = sizeof r->net;
		else if (!strcmp(key, "host")) sdst = r->host, scap = sizeof r->host;
		else if (!strcmp(key, "localHost")) sdst = r->local_host, scap = sizeof r->local_host;
		else if (!strcmp(key, "id")) ndst = &r->id, r->has_id = 1;
		else if (!strcmp(key, "port")) ndst = &r->port;
		else if (!strcmp(key, "localPort")) ndst = &r->local_port;
		else if (!strcmp(key, "backlog")) ndst = &r->backlog;
		else if (!strcmp(key, "timeoutMs")) ndst = &r->timeout_ms;
		else if (!strcmp(key, "reuseAddr")) ndst = &r->reuse_addr;
		if (sdst && *p == '"') {
			p = read_string(p, sdst, scap);
		} else if (ndst && (*p == '-' || (*p >= '0' && *p <= '9'))) {
			char *end;
			*ndst = strtoll(p, &end, 10);
			p = skip_value(end); /* a fraction or exponent, if any */
		} else if (ndst && !strncmp(p, "true", 4)) {
			*ndst = 1;
			p += 4;
		} else {
			p = skip_value(p);
		}
		if (!p)
			return -1;
		p = ws(p);
		if (*p == ',') {
			p++;
			continue;
		}
		return *p == '}' ? 0 : -1;
	}
}

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
static const char *errno_name(int err)
{
	return strerrorname_np(err);
}
#else
static const char *errno_name(int err)
{
	switch (err) {
	case EADDRINUSE: return "EADDRINUSE";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case ENETUNREACH: return "ENETUNREACH";
	case EMFILE: return "EMFILE";
	case EPROTO: return "EPROTO";
	default: return NULL;
	}
}
#endif

/* --- replies --- */

static void json_escape(char *out, size_t cap, const char *s)
{
	size_t n = 0;
	for (; *s && n + 7 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			out[n++] = '\\';
			out[n++] = (char)c;
		} else if (c < 0x20) {
			n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
		} else {
			out[n++] = (char)c;
		}
	}
	out[n] = 0;
}

static void send_all(const char *line, int fd)
{
	size_t len = strlen(line), off = 0;
	while (off < len) {
		struct iovec iov = {(void *)(line + off), len - off};
		struct msghdr mh;
		char cbuf[CMSG_SPACE(sizeof(int))];
		memset(&mh, 0, sizeof mh);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		if (fd >= 0 && off == 0) {
			memset(cbuf, 0, sizeof cbuf);
			mh.msg_control = cbuf;
			mh.msg_controllen = sizeof cbuf;
			struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cm), &fd, sizeof(int));
		}
		ssize_t n = sendmsg(ipc, &mh, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pf = {ipc, POLLOUT, 0};
				poll(&pf, 1, 1000);
				continue;
			}
			exit(0); /* the daemon is gone */
		}
		off += (size_t)n;
	}
}

static void flush_handles(void)
{
	while (outq && !awaiting_ack) {
		send_all(outq->line, outq->fd);
		outq->tries++;
		awaiting_ack = 1;
	}
}

static void reply_error(long long id, int err, const char *what)
{
	char msg[512], esc[1100], line[1400];
	snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
	json_escape(esc, sizeof esc, msg);
	const char *code = errno_name(err);
	snprintf(line, sizeof line, "{\"id\":%lld,\"error\":\"%s\",\"errno\":%d,\"message\":\"%s\"}\n", id,
		 code ? code : "EUNKNOWN", err, esc);
	send_all(line, -1);
}

static void reply_handle(long long id, int fd, const char *type, const char *extra)
{
	struct outmsg *m = calloc(1, sizeof *m);
	if (!m || asprintf(&m->line, "{\"cmd\":\"NODE_HANDLE\",\"type\":\"%s\",\"msg\":{\"id\":%lld}%s}\n", type, id,
			   extra) < 0)
		die(1, "out of memory");
	m->fd = fd;
	m->id = id;
	if (outq_tail)
		outq_tail->next = m;
	else
		outq = m;
	outq_tail = m;
	flush_handles();
}

static void handle_ack(int ok)
{
	if (!awaiting_ack || !outq)
		return;
	struct outmsg *m = outq;
	awaiting_ack = 0;
	if (!ok && m->tries < 3) {
		flush_handles(); /* NACK: the descriptor was lost on the way, send it again */
		return;
	}
	outq = m->next;
	if (!outq)
		outq_tail = NULL;
	if (!ok)
		reply_error(m->id, EPROTO, "the daemon did not receive the socket");
	close(m->fd);
	free(m->line);
	free(m);
	flush_handles();
}

/* --- sockets --- */

struct addr {
	struct sockaddr_storage ss;
	socklen_t len;
	int family;
};

static int parse_addr(const char *host, long long port, struct addr *a)
{
	memset(a, 0, sizeof *a);
	if (port < 0 || port > 65535)
		return -1;
	if (strchr(host, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return -1;
		a->len = sizeof *s6;
		a->family = AF_INET6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&a->ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		if (!*host)
			s4->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return -1;
		a->len = sizeof *s4;
		a->family = AF_INET;
	}
	return 0;
}

/* Only socket(2) depends on the calling thread's network namespace; bind, listen and connect
 * act in the namespace the socket was created in. */
static int socket_in(const char *net, int family, int type, int *err)
{
	int nsfd = -1;
	if (net && *net) {
		nsfd = open(net, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0) {
			*err = errno;
			return -1;
		}
		if (setns(nsfd, CLONE_NEWNET) < 0) {
			*err = errno;
			close(nsfd);
			return -1;
		}
	}
	int s = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	*err = errno;
	if (nsfd >= 0) {
		if (setns(self_net, CLONE_NEWNET) < 0)
			die(1, "broker: cannot return to its own network namespace: %s", strerror(errno));
		close(nsfd);
	}
	return s;
}

static void op_socket(struct request *r)
{
	char what[PATH_MAX + 128];
	const char *where = *r->net ? r->net : "the broker's namespace";
	int is_listen = !strcmp(r->op, "tcp-listen"), is_udp = !strcmp(r->op, "udp-bind");
	int is_connect = !strcmp(r->op, "tcp-connect");
	struct addr a, local;
	int have_local = 0;
	snprintf(what, sizeof what, "%s %s:%lld in %s", r->op, r->host, r->port, where);
	if (parse_addr(r->host, r->port < 0 && !is_connect ? 0 : r->port, &a) < 0 || (is_connect && r->port <= 0)) {
		reply_error(r->id, EINVAL, what);
		return;
	}
	if (*r->local_host || r->local_port > 0) {
		if (parse_addr(r->local_host, r->local_port > 0 ? r->local_port : 0, &local) < 0 ||
		    local.family != a.family) {
			reply_error(r->id, EINVAL, what);
			return;
		}
		have_local = 1;
	}
	int err = 0;
	int s = socket_in(r->net, a.family, is_udp ? SOCK_DGRAM : SOCK_STREAM, &err);
	if (s < 0) {
		reply_error(r->id, err, what);
		return;
	}
	int one = 1;
	if (is_listen || (is_udp && r->reuse_addr))
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (is_connect) {
		if (have_local && bind(s, (struct sockaddr *)&local.ss, local.len) < 0) {
			err = errno;
			close(s);
			reply_error(r->id, err, what);
			return;
		}
		if (connect(s, (struct sockaddr *)&a.ss, a.len) == 0) {
			reply_handle(r->id, s, "net.Socket", "");
			return;
		}
		if (errno != EINPROGRESS) {
			err = errno;
			close(s);
			reply_error(r->id, err, what);
			return;
		}
		if (npend == cappend) {
			cappend = cappend ? cappend * 2 : 16;
			pend = realloc(pend, (size_t)cappend * sizeof *pend);
			if (!pend)
				die(1, "out of memory");
		}
		struct pending *p = &pend[npend++];
		p->fd = s;
		p->id = r->id;
		p->deadline = now_ms() + (r->timeout_ms > 0 ? r->timeout_ms : 5000);
		snprintf(p->what, sizeof p->what, "connect %s:%lld", r->host, r->port);
		return;
	}
	if (bind(s, (struct sockaddr *)&a.ss, a.len) < 0 ||
	    (is_listen && listen(s, r->backlog > 0 ? (int)r->backlog : 511) < 0)) {
		err = errno;
		close(s);
		reply_error(r->id, err, what);
		return;
	}
	if (is_udp)
		reply_handle(r->id, s, "dgram.Socket", a.family == AF_INET6 ? ",\"dgramType\":\"udp6\"" : ",\"dgramType\":\"udp4\"");
	else
		reply_handle(r->id, s, "net.Server", "");
}

static void finish_pending(int k, int err)
{
	struct pending p = pend[k];
	pend[k] = pend[--npend];
	if (err) {
		close(p.fd);
		reply_error(p.id, err, p.what);
	} else {
		reply_handle(p.id, p.fd, "net.Socket", "");
	}
}

static void handle_line(const char *line)
{
	struct request r;
	if (parse_request(line, &r) < 0) {
		fprintf(stderr, "nsutil broker: ignoring malformed message: %.200s\n", line);
		return;
	}
	if (!strcmp(r.cmd, "NODE_HANDLE_ACK")) {
		handle_ack(1);
		return;
	}
	if (!strcmp(r.cmd, "NODE_HANDLE_NACK")) {
		handle_ack(0);
		return;
	}
	if (*r.cmd || !r.has_id)
		return; /* other internal messages of Node's protocol */
	if (!strcmp(r.op, "ping")) {
		char out[96];
		snprintf(out, sizeof out, "{\"id\":%lld,\"pong\":true,\"pid\":%d}\n", r.id, (int)getpid());
		send_all(out, -1);
	} else if (!strcmp(r.op, "tcp-listen") || !strcmp(r.op, "udp-bind") || !strcmp(r.op, "tcp-connect")) {
		op_socket(&r);
	} else {
		char what[64];
		snprintf(what, sizeof what, "unknown op '%.32s'", r.op);
		reply_error(r.id, EINVAL, what);
	}
}

static int cmd_broker(int argc, char **argv)
{
	const char *userns = NULL, *mountns = NULL;
	int i = parse_ns_opts(argc, argv, &userns, &mountns);
	if (i != argc)
		die(FAIL, "broker: unexpected argument %s", argv[i]);
	const char *fdenv = getenv("NODE_CHANNEL_FD");
	if (!fdenv)
		die(FAIL, "broker: NODE_CHANNEL_FD is not set (spawn it with stdio 'ipc')");
	const char *mode = getenv("NODE_CHANNEL_SERIALIZATION_MODE");
	if (mode && strcmp(mode, "json") != 0)
		die(FAIL, "broker: only the 'json' serialization is supported, not '%s'", mode);
	ipc = atoi(fdenv);
	fcntl(ipc, F_SETFD, FD_CLOEXEC);
	fcntl(ipc, F_SETFL, fcntl(ipc, F_GETFL) & ~O_NONBLOCK);
	signal(SIGPIPE, SIG_IGN);
	die_with_parent();
	enter_common(userns, mountns);
	/* Inside a user namespace the broker could not return to the daemon's network namespace (it
	 * belongs to the parent user namespace), so it rests in an empty one of its own. */
	if (userns && unshare(CLONE_NEWNET) < 0)
		die(FAIL, "broker: unshare(net): %s", strerror(errno));
	self_net = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self_net < 0)
		die(FAIL, "broker: open own network namespace: %s", strerror(errno));

	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	struct pollfd *pfds = NULL;
	int cappfd = 0;
	for (;;) {
		if (cappfd < npend + 1) {
			cappfd = npend + 16;
			pfds = realloc(pfds, (size_t)cappfd * sizeof *pfds);
		}
		if (!buf || !pfds)
			die(1, "out of memory");
		pfds[0] = (struct pollfd){ipc, POLLIN, 0};
		long long now = now_ms(), timeout = -1;
		for (int k = 0; k < npend; k++) {
			pfds[k + 1] = (struct pollfd){pend[k].fd, POLLOUT, 0};
			long long left = pend[k].deadline - now;
			if (timeout < 0 || left < timeout)
				timeout = left < 0 ? 0 : left;
		}
		int n = poll(pfds, (nfds_t)npend + 1, (int)timeout);
		if (n < 0 && errno != EINTR)
			die(1, "broker: poll: %s", strerror(errno));
		/* finish connects first, from the end so removals do not disturb the indices left */
		now = now_ms();
		for (int k = npend - 1; k >= 0; k--) {
			if (n > 0 && pfds[k + 1].revents) {
				int err = 0;
				socklen_t elen = sizeof err;
				getsockopt(pend[k].fd, SOL_SOCKET, SO_ERROR, &err, &elen);
				finish_pending(k, err);
			} else if (pend[k].deadline <= now) {
				finish_pending(k, ETIMEDOUT);
			}
		}
		if (n > 0 && pfds[0].revents) {
			if (len == cap) {
				cap *= 2;
				buf = realloc(buf, cap);
				if (!buf)
					die(1, "out of memory");
			}
			ssize_t got = read(ipc, buf + len, cap - len);
			if (got < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (got <= 0)
				return 0; /* the daemon closed the channel */
			len += (size_t)got;
			size_t start = 0;
			for (size_t k = 0; k < len; k++) {
				if (buf[k] != '\n')
					continue;
				buf[k] = 0;
				handle_line(buf + start);
				start = k + 1;
			}
			memmove(buf, buf + start, len - start);
			len -= start;
		}
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: nsutil exec|broker|hold|netns-add|netns-del ...\n");
		return FAIL;
	}
	const char *parent = getenv("NSUTIL_PARENT_PID");
	expected_parent = parent ? (pid_t)atoi(parent) : getppid();
	unsetenv("NSUTIL_PARENT_PID"); /* not for the programs exec'd */
	const char *mode = argv[1];
	if (!strcmp(mode, "exec"))
		return cmd_exec(argc - 2, argv + 2);
	if (!strcmp(mode, "broker"))
		return cmd_broker(argc - 2, argv + 2);
	if (!strcmp(mode, "hold"))
		return cmd_hold(argc - 2, argv + 2);
	if (!strcmp(mode, "netns-add"))
		return cmd_netns_add(argc - 2, argv + 2);
	if (!strcmp(mode, "netns-del"))
		return cmd_netns_del(argc - 2, argv + 2);
	die(FAIL, "unknown mode %s", mode);
}

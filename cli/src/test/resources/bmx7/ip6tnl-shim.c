/*
 * ip6tnl-shim.c -- LD_PRELOAD test shim for kernels built without
 * CONFIG_IPV6_TUNNEL (no "ip6tnl0"). It intercepts the ip6tnl ioctls
 * SIOCADDTUNNEL / SIOCDELTUNNEL and emulates them with a persistent
 * TUN device of the requested name, so that a routing daemon's tunnel
 * control plane (device creation, addresses, advertisements) can run.
 * NO packets are tunnelled: this is for control-plane tests only.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>

#define SHIM_SIOCADDTUNNEL (SIOCDEVPRIVATE + 1)
#define SHIM_SIOCDELTUNNEL (SIOCDEVPRIVATE + 2)

/* leading part of struct ip6_tnl_parm: char name[IFNAMSIZ] comes first */
struct shim_tnl_parm_head { char name[IFNAMSIZ]; };

static int tun_persist(const char *name, int persist)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	int (*real_ioctl)(int, unsigned long, ...) = dlsym(RTLD_NEXT, "ioctl");
	if (real_ioctl(fd, TUNSETIFF, &ifr) < 0 || real_ioctl(fd, TUNSETPERSIST, persist) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return 0;
}

int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	va_start(ap, request);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	int (*real_ioctl)(int, unsigned long, ...) = dlsym(RTLD_NEXT, "ioctl");

	if (request == SHIM_SIOCADDTUNNEL && arg) {
		struct ifreq *req = arg;
		struct shim_tnl_parm_head *p = (struct shim_tnl_parm_head *) req->ifr_ifru.ifru_data;
		if (p && p->name[0] && !strcmp(req->ifr_name, "ip6tnl0"))
			return tun_persist(p->name, 1);
	} else if (request == SHIM_SIOCDELTUNNEL && arg) {
		struct ifreq *req = arg;
		if (req->ifr_name[0] && strcmp(req->ifr_name, "ip6tnl0"))
			return tun_persist(req->ifr_name, 0);
	}
	return real_ioctl(fd, request, arg);
}

#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>
#include <spawn.h>
#include <sys/vfs.h>
#include "CSlipwaySpawn.h"

int slipway_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int slipway_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int lowfd) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowfd);
}

int slipway_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

int slipway_enter_network_namespace(int fd) { return setns(fd, CLONE_NEWNET); }

long slipway_file_system_type(const char *path) {
    struct statfs status;
    if (statfs(path, &status) != 0) return -1;
    return (long)status.f_type;
}

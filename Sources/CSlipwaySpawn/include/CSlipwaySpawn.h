#ifndef CSLIPWAYSPAWN_H
#define CSLIPWAYSPAWN_H

#include <spawn.h>

/// pipe2(fds, O_CLOEXEC): both ends close on exec, so no other child inherits them.
int slipway_pipe_cloexec(int fds[2]);

/// posix_spawn_file_actions_addclosefrom_np: the child closes every descriptor from `lowfd` up.
int slipway_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int lowfd);

/// posix_spawn_file_actions_addchdir_np: the child changes to `path` before exec.
int slipway_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/// setns(fd, CLONE_NEWNET): the calling thread enters the network namespace `fd` refers to.
int slipway_enter_network_namespace(int fd);

/// statfs(path)'s f_type: the kind of file system `path` is on; -1 with errno set when it cannot be read.
long slipway_file_system_type(const char *path);

#endif

/// The seccomp program sandboxed commands run under: a classic BPF filter, assembled here (no libseccomp needed),
/// that refuses what container runtimes refuse by default — mounting, kernel modules and kexec, keyrings, BPF,
/// perf, userfaultfd, ptrace and reading other processes' memory, clock and swap changes, namespaces (a new user
/// namespace is the door to most kernel attack surface), io_uring, and typing into a terminal (TIOCSTI). Every other
/// system call is allowed. A refused call fails with EPERM (`clone3` with ENOSYS, so that libc falls back to
/// `clone`, whose namespace flags are checked); a call of another ABI (32-bit `int 0x80`, x32) fails with ENOSYS.
public struct SeccompFilter: Sendable, Equatable {
    /// The architecture the program checks for, and its system call numbers.
    public struct Architecture: Sendable, Equatable {
        /// `AUDIT_ARCH_*` as `seccomp_data.arch` carries it.
        public var auditArch: UInt32
        /// The calls refused with EPERM.
        public var refused: [UInt32]
        /// `clone3`: refused with ENOSYS.
        public var clone3: UInt32
        /// `clone`: refused with EPERM when its flags ask for a new namespace.
        public var clone: UInt32
        /// `ioctl`: refused with EPERM for TIOCSTI and TIOCLINUX.
        public var ioctl: UInt32
        /// System call numbers with this bit set belong to another ABI (x32 on x86_64); 0 when there is none.
        public var foreignABIBit: UInt32
    }

    public var architecture: Architecture

    public init(architecture: Architecture) {
        self.architecture = architecture
    }

    /// The filter for the architecture this binary was built for; nil on one without a table here.
    public static var standard: SeccompFilter? {
        #if arch(x86_64)
            SeccompFilter(architecture: .x86_64)
        #elseif arch(arm64)
            SeccompFilter(architecture: .aarch64)
        #else
            nil
        #endif
    }

    // Return values and instructions of classic BPF as seccomp reads them (linux/seccomp.h, linux/filter.h).
    static let allow: UInt32 = 0x7fff_0000
    static let errnoBase: UInt32 = 0x0005_0000
    static let eperm: UInt32 = 1
    static let enosys: UInt32 = 38
    static let loadWord: UInt16 = 0x20  // BPF_LD | BPF_W | BPF_ABS
    static let jumpIfEqual: UInt16 = 0x15  // BPF_JMP | BPF_JEQ | BPF_K
    static let jumpIfGreaterOrEqual: UInt16 = 0x35  // BPF_JMP | BPF_JGE | BPF_K
    static let jumpIfAnyBit: UInt16 = 0x45  // BPF_JMP | BPF_JSET | BPF_K
    static let returnConstant: UInt16 = 0x06  // BPF_RET | BPF_K
    // Offsets in struct seccomp_data: nr, arch, then args[6] of 8 bytes each (the low word first, little-endian).
    static let offsetOfNumber: UInt32 = 0
    static let offsetOfArch: UInt32 = 4
    static func offsetOfArgumentLowWord(_ index: UInt32) -> UInt32 { 16 + 8 * index }
    /// CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET.
    static let namespaceFlags: UInt32 = 0x7E02_0000
    static let tiocsti: UInt32 = 0x5412
    static let tioclinux: UInt32 = 0x541C

    /// One instruction: `code`, jump offsets if true and if false, and the constant.
    struct Instruction: Equatable {
        var code: UInt16
        var jumpIfTrue: UInt8 = 0
        var jumpIfFalse: UInt8 = 0
        var constant: UInt32
    }

    /// The program, instruction by instruction.
    var instructions: [Instruction] {
        let errno = { (code: UInt32) in Instruction(code: Self.returnConstant, constant: Self.errnoBase | code) }
        var program: [Instruction] = [
            Instruction(code: Self.loadWord, constant: Self.offsetOfArch),
            Instruction(code: Self.jumpIfEqual, jumpIfTrue: 1, constant: architecture.auditArch),
            errno(Self.enosys),
            Instruction(code: Self.loadWord, constant: Self.offsetOfNumber),
        ]
        if architecture.foreignABIBit != 0 {
            program += [Instruction(code: Self.jumpIfGreaterOrEqual, jumpIfFalse: 1, constant: architecture.foreignABIBit), errno(Self.enosys)]
        }
        for number in architecture.refused {
            program += [Instruction(code: Self.jumpIfEqual, jumpIfFalse: 1, constant: number), errno(Self.eperm)]
        }
        program += [Instruction(code: Self.jumpIfEqual, jumpIfFalse: 1, constant: architecture.clone3), errno(Self.enosys)]
        // clone: look at its flags (the first argument), then load the number again for what follows.
        program += [
            Instruction(code: Self.jumpIfEqual, jumpIfFalse: 4, constant: architecture.clone),
            Instruction(code: Self.loadWord, constant: Self.offsetOfArgumentLowWord(0)),
            Instruction(code: Self.jumpIfAnyBit, jumpIfFalse: 1, constant: Self.namespaceFlags),
            errno(Self.eperm),
            Instruction(code: Self.returnConstant, constant: Self.allow),
        ]
        // ioctl: look at its request (the second argument).
        program += [
            Instruction(code: Self.jumpIfEqual, jumpIfFalse: 4, constant: architecture.ioctl),
            Instruction(code: Self.loadWord, constant: Self.offsetOfArgumentLowWord(1)),
            Instruction(code: Self.jumpIfEqual, jumpIfTrue: 1, constant: Self.tiocsti),
            Instruction(code: Self.jumpIfEqual, jumpIfFalse: 1, constant: Self.tioclinux),
            errno(Self.eperm),
        ]
        program.append(Instruction(code: Self.returnConstant, constant: Self.allow))
        return program
    }

    /// The program as `struct sock_filter` entries in this machine's byte order, as bubblewrap's `--seccomp` reads it.
    public var bytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(instructions.count * 8)
        for instruction in instructions {
            withUnsafeBytes(of: instruction.code) { bytes += $0 }
            bytes += [instruction.jumpIfTrue, instruction.jumpIfFalse]
            withUnsafeBytes(of: instruction.constant) { bytes += $0 }
        }
        return bytes
    }
}

extension SeccompFilter.Architecture {
    /// x86_64 (arch/x86/entry/syscalls/syscall_64.tbl).
    public static let x86_64 = SeccompFilter.Architecture(
        auditArch: 0xC000_003E,
        refused: [
            165, 166, 155,  // mount, umount2, pivot_root
            428, 429, 430, 431, 432, 433, 442,  // open_tree, move_mount, fsopen, fsconfig, fsmount, fspick, mount_setattr
            272, 308,  // unshare, setns
            175, 313, 176, 174, 177, 178,  // init_module, finit_module, delete_module, create_module, get_kernel_syms, query_module
            246, 320, 169,  // kexec_load, kexec_file_load, reboot
            248, 249, 250,  // add_key, request_key, keyctl
            321, 298, 323,  // bpf, perf_event_open, userfaultfd
            101, 310, 311, 312,  // ptrace, process_vm_readv, process_vm_writev, kcmp
            167, 168, 163, 179, 443,  // swapon, swapoff, acct, quotactl, quotactl_fd
            164, 227, 305, 159,  // settimeofday, clock_settime, clock_adjtime, adjtimex
            303, 304, 212,  // name_to_handle_at, open_by_handle_at, lookup_dcookie
            103, 153, 134, 156, 180, 172, 173,  // syslog, vhangup, uselib, _sysctl, nfsservctl, iopl, ioperm
            425, 426, 427,  // io_uring_setup, io_uring_enter, io_uring_register
        ],
        clone3: 435, clone: 56, ioctl: 16, foreignABIBit: 0x4000_0000
    )

    /// aarch64 (the generic table, include/uapi/asm-generic/unistd.h).
    public static let aarch64 = SeccompFilter.Architecture(
        auditArch: 0xC000_00B7,
        refused: [
            40, 39, 41,  // mount, umount2, pivot_root
            428, 429, 430, 431, 432, 433, 442,  // open_tree, move_mount, fsopen, fsconfig, fsmount, fspick, mount_setattr
            97, 268,  // unshare, setns
            105, 273, 106,  // init_module, finit_module, delete_module
            104, 294, 142,  // kexec_load, kexec_file_load, reboot
            217, 218, 219,  // add_key, request_key, keyctl
            280, 241, 282,  // bpf, perf_event_open, userfaultfd
            117, 270, 271, 272,  // ptrace, process_vm_readv, process_vm_writev, kcmp
            224, 225, 89, 60, 443,  // swapon, swapoff, acct, quotactl, quotactl_fd
            170, 112, 266, 171,  // settimeofday, clock_settime, clock_adjtime, adjtimex
            264, 265, 18,  // name_to_handle_at, open_by_handle_at, lookup_dcookie
            116, 58, 42,  // syslog, vhangup, nfsservctl
            425, 426, 427,  // io_uring_setup, io_uring_enter, io_uring_register
        ],
        clone3: 435, clone: 220, ioctl: 29, foreignABIBit: 0
    )
}

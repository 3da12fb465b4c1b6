/// Why a build cgroup could not be made, used or removed.
public enum CgroupError: Error, Equatable, CustomStringConvertible {
    /// The name is not a single path component (empty, `.`, `..`, or containing `/`).
    case invalidName(String)
    /// Detection found no usable hierarchy, so there is nowhere to create a group.
    case unavailable
    /// A group of that name exists already (a leftover: kill and remove it first).
    case alreadyExists(path: String)
    /// `mkdir` of the group failed.
    case cannotCreate(path: String, reason: String)
    /// Writing a control file (a limit, `cgroup.kill`) failed.
    case cannotWrite(path: String, value: String, reason: String)
    /// `rmdir` of the group failed, usually because processes are still in it.
    case cannotRemove(path: String, reason: String)

    /// A sentence for logs and build output.
    public var description: String {
        switch self {
        case .invalidName(let name): "'\(name)' cannot name a cgroup: it must be one path component"
        case .unavailable: "no usable cgroup hierarchy on this machine"
        case .alreadyExists(let path): "the cgroup \(path) exists already"
        case .cannotCreate(let path, let reason): "cannot create the cgroup \(path): \(reason)"
        case .cannotWrite(let path, let value, let reason): "cannot write '\(value)' to \(path): \(reason)"
        case .cannotRemove(let path, let reason): "cannot remove the cgroup \(path): \(reason)"
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif

/// How the server asks glibc's allocator to behave, set once when `slipway serve` starts.
public enum MallocPolicy {
    /// The size from which glibc gives each allocation its own mapping, returned to the system when freed.
    public static let mappedFrom: Int32 = 128 * 1024

    /// Fixes glibc's mmap threshold at 128 KiB. Left alone, glibc raises it (up to 32 MiB) each time a mapped block is
    /// freed, and from then on keeps large freed blocks (the edge cache's evicted files, the buffers of compression
    /// at publish) in its heaps instead of returning them: measured with bench/edge-cache-memory.sh, a 64 MB cache
    /// then left 149 MiB resident, against 117 MiB with the threshold fixed (the budget plus 60 MB is 124).
    public static func apply() {
        #if canImport(Glibc)
            // `mallopt(3)` is glibc's, declared in <malloc.h>, which Swift's Glibc module does not show.
            typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
            let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD
            guard let symbol = dlsym(nil, "mallopt") else { return }
            _ = unsafeBitCast(symbol, to: Mallopt.self)(mmapThreshold, mappedFrom)
        #endif
    }
}

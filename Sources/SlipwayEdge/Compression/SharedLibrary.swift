#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A C library loaded at run time (`dlopen`), for the encoders the edge compresses builds with: zlib, which every
/// machine that runs git has, and brotli, which many have. Nothing of them is needed to build Slipway.
struct SharedLibrary: @unchecked Sendable {
    // A handle never closed: the library stays loaded, and its functions callable from any thread.
    private let handle: UnsafeMutableRawPointer

    /// The first of `names` that loads and has every symbol of `required`; nil when none does.
    static func load(_ names: [String], requiring required: [String]) -> SharedLibrary? {
        #if canImport(Glibc) || canImport(Musl)
            for name in names {
                guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else { continue }
                if required.allSatisfy({ dlsym(handle, $0) != nil }) { return SharedLibrary(handle: handle) }
                dlclose(handle)
            }
        #endif
        return nil
    }

    /// The function `name` as a Swift function of type `type` (a `@convention(c)` type matching its C declaration).
    func function<Function>(_ name: String, as type: Function.Type) -> Function {
        #if canImport(Glibc) || canImport(Musl)
            guard let symbol = dlsym(handle, name) else { preconditionFailure("\(name) was checked when the library was loaded") }
            return unsafeBitCast(symbol, to: type)
        #else
            preconditionFailure("no dynamic loading on this platform")
        #endif
    }
}

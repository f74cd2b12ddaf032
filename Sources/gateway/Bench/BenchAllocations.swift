import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Counts the heap allocations the Swift runtime makes for one thread while a piece of code runs.
///
/// Every Swift allocation (a `String`'s or an `Array`'s storage, a class instance, a closure context,
/// a boxed existential) ends in `swift_slowAlloc` in `libswiftCore`, which calls `malloc` (or `calloc`,
/// `realloc`, `posix_memalign`) through its procedure linkage table. While counting, the table's slots
/// for those four point at functions that count calls from the measuring thread and forward them to
/// the C library; afterwards the slots get their old contents back. Nothing else in the process
/// changes, and the gateway's own paths never run this code.
///
/// Allocations C libraries make for themselves (libzmq's, SQLite's) are not seen; the
/// package-benchmark suite in `Benchmarks/` counts every `malloc` with its interposer.
/// The runtime's own function-pointer hook (`_swift_allocObject`) is not used: on Linux, setting it
/// switches the runtime's retain and release onto adapters that crashed on bridged string bits.
enum AllocationCounter {
    /// Where one allocation function's slot is, what it held, and what counts calls to it.
    private struct Patch {
        var slot: UnsafeMutablePointer<UnsafeRawPointer?>
        var saved: UnsafeRawPointer?
        var counting: UnsafeRawPointer
    }

    nonisolated(unsafe) private static let patches: [Patch]? = {
        guard let base = imageBase(named: "libswiftCore.so") else { return nil }
        guard let slots = procedureLinkageSlots(imageBase: base,
                                                names: ["malloc", "calloc", "realloc", "posix_memalign"]) else { return nil }
        let counting: [String: UnsafeRawPointer] = [
            "malloc": unsafeBitCast(countingMalloc, to: UnsafeRawPointer.self),
            "calloc": unsafeBitCast(countingCalloc, to: UnsafeRawPointer.self),
            "realloc": unsafeBitCast(countingRealloc, to: UnsafeRawPointer.self),
            "posix_memalign": unsafeBitCast(countingPosixMemalign, to: UnsafeRawPointer.self),
        ]
        // The runtime cannot allocate without malloc: without its slot there is nothing to count.
        guard slots["malloc"] != nil else { return nil }
        return slots.map { name, slot in Patch(slot: slot, saved: nil, counting: counting[name]!) }
    }()

    /// Whether counting works in this process.
    static var isAvailable: Bool { patches != nil }

    /// Allocations made on the calling thread during a second run of `body`; `nil` when counting is
    /// not available. The first run, not counted, takes what happens once (type metadata the runtime
    /// builds on first use, lazily initialised globals), so the count is what `body` costs each time.
    ///
    /// Not reentrant, and only one thread may count at a time.
    static func count(_ body: () -> Void) -> Int? {
        guard let patches else { return nil }
        body()
        _ = CLibrary.functions // resolved before any slot points at code that needs them
        measuringThread = pthread_self()
        allocations.store(0, ordering: .relaxed)
        // Plain pointers while the slots are swapped: in a debug build even iterating an array allocates.
        let installed = UnsafeMutablePointer<Patch>.allocate(capacity: patches.count)
        installed.initialize(from: patches, count: patches.count)
        defer { installed.deallocate() }
        let count = patches.count
        var i = 0
        while i < count {
            installed[i].saved = installed[i].slot.pointee
            installed[i].slot.pointee = installed[i].counting
            i += 1
        }
        body()
        i = 0
        while i < count {
            installed[i].slot.pointee = installed[i].saved
            i += 1
        }
        return allocations.load(ordering: .relaxed)
    }

    nonisolated(unsafe) fileprivate static var measuringThread = pthread_self()
    fileprivate static let allocations = Atomic<Int>(0)

    @inline(__always)
    fileprivate static func noteCall() {
        if pthread_equal(pthread_self(), measuringThread) != 0 { allocations.add(1, ordering: .relaxed) }
    }

    /// Where the shared object `name` is loaded: the start of its first mapping, from `/proc/self/maps`.
    private static func imageBase(named name: String) -> UnsafeRawPointer? {
        // Read to the end: /proc files report a size of 0, and one page of this one is not the whole.
        guard let file = FileHandle(forReadingAtPath: "/proc/self/maps"), let data = try? file.readToEnd() else { return nil }
        try? file.close()
        let maps = String(decoding: data, as: UTF8.self)
        // "start-end perms offset dev inode path"; the mapping at file offset 0 holds the ELF header.
        for line in maps.split(separator: "\n") where line.hasSuffix("/" + name) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[2].allSatisfy({ $0 == "0" }),
                  let start = fields[0].split(separator: "-").first.flatMap({ UInt(String($0), radix: 16) }) else { continue }
            return UnsafeRawPointer(bitPattern: start)
        }
        return nil
    }

    /// The slots of `names` in the procedure linkage table of the ELF image loaded at `imageBase`,
    /// found through its dynamic section (`DT_JMPREL`, `DT_SYMTAB`, `DT_STRTAB`); `nil` when the
    /// image does not look like a 64-bit ELF object.
    private static func procedureLinkageSlots(imageBase base: UnsafeRawPointer, names: Set<String>) -> [String: UnsafeMutablePointer<UnsafeRawPointer?>]? {
        // Elf64_Ehdr: e_ident "\x7fELF", class 2 (64-bit); e_phoff at 32, e_phentsize at 54, e_phnum at 56.
        guard base.load(as: UInt32.self) == 0x464C_457F, base.load(fromByteOffset: 4, as: UInt8.self) == 2 else { return nil }
        let programHeaders = base + Int(base.loadUnaligned(fromByteOffset: 32, as: UInt64.self))
        let entrySize = Int(base.loadUnaligned(fromByteOffset: 54, as: UInt16.self))
        let count = Int(base.loadUnaligned(fromByteOffset: 56, as: UInt16.self))
        var dynamic: UnsafeRawPointer?
        for i in 0..<count {
            let header = programHeaders + i * entrySize
            // Elf64_Phdr: p_type at 0 (PT_DYNAMIC = 2), p_vaddr at 16.
            if header.loadUnaligned(as: UInt32.self) == 2 {
                dynamic = base + Int(header.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
            }
        }
        guard var entry = dynamic else { return nil }
        var relocations: UnsafeRawPointer?
        var relocationBytes = 0
        var symbols: UnsafeRawPointer?
        var strings: UnsafeRawPointer?
        // The loader relocates these addresses in place on most targets; where it does not, they are offsets.
        func address(_ value: UInt64) -> UnsafeRawPointer? {
            guard let pointer = UnsafeRawPointer(bitPattern: UInt(value)) else { return nil }
            return pointer < base ? base + Int(value) : pointer
        }
        // Elf64_Dyn: d_tag, d_val; DT_NULL 0 ends the list.
        while true {
            let tag = entry.loadUnaligned(as: Int64.self)
            if tag == 0 { break }
            let value = entry.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            switch tag {
            case 23: relocations = address(value) // DT_JMPREL
            case 2: relocationBytes = Int(value) // DT_PLTRELSZ
            case 6: symbols = address(value) // DT_SYMTAB
            case 5: strings = address(value) // DT_STRTAB
            default: break
            }
            entry += 16
        }
        guard let relocations, let symbols, let strings, relocationBytes > 0 else { return nil }
        var found: [String: UnsafeMutablePointer<UnsafeRawPointer?>] = [:]
        // Elf64_Rela: r_offset, r_info (symbol index in the high 32 bits), r_addend; Elf64_Sym: st_name first, 24 bytes.
        for offset in stride(from: 0, to: relocationBytes, by: 24) {
            let relocation = relocations + offset
            let symbol = Int(relocation.loadUnaligned(fromByteOffset: 8, as: UInt64.self) >> 32)
            let nameOffset = Int((symbols + symbol * 24).loadUnaligned(as: UInt32.self))
            let name = String(cString: (strings + nameOffset).assumingMemoryBound(to: CChar.self))
            if names.contains(name) {
                let slot = base + Int(relocation.loadUnaligned(as: UInt64.self))
                found[name] = UnsafeMutablePointer(mutating: slot.assumingMemoryBound(to: UnsafeRawPointer?.self))
            }
        }
        return found
    }
}

/// The C library's own allocation functions, looked up once, that the counting functions forward to.
private enum CLibrary {
    struct Functions {
        var malloc: @convention(c) (Int) -> UnsafeMutableRawPointer?
        var calloc: @convention(c) (Int, Int) -> UnsafeMutableRawPointer?
        var realloc: @convention(c) (UnsafeMutableRawPointer?, Int) -> UnsafeMutableRawPointer?
        var posixMemalign: @convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>?, Int, Int) -> Int32
    }

    nonisolated(unsafe) static let functions: Functions = {
        let handle = dlopen(nil, RTLD_NOW)
        func look<F>(_ name: String, as type: F.Type) -> F { unsafeBitCast(dlsym(handle, name)!, to: type) }
        return Functions(malloc: look("malloc", as: (@convention(c) (Int) -> UnsafeMutableRawPointer?).self),
                         calloc: look("calloc", as: (@convention(c) (Int, Int) -> UnsafeMutableRawPointer?).self),
                         realloc: look("realloc", as: (@convention(c) (UnsafeMutableRawPointer?, Int) -> UnsafeMutableRawPointer?).self),
                         posixMemalign: look("posix_memalign",
                                             as: (@convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>?, Int, Int) -> Int32).self))
    }()
}

private let countingMalloc: @convention(c) (Int) -> UnsafeMutableRawPointer? = { size in
    AllocationCounter.noteCall()
    return CLibrary.functions.malloc(size)
}

private let countingCalloc: @convention(c) (Int, Int) -> UnsafeMutableRawPointer? = { count, size in
    AllocationCounter.noteCall()
    return CLibrary.functions.calloc(count, size)
}

private let countingRealloc: @convention(c) (UnsafeMutableRawPointer?, Int) -> UnsafeMutableRawPointer? = { pointer, size in
    AllocationCounter.noteCall()
    return CLibrary.functions.realloc(pointer, size)
}

private let countingPosixMemalign: @convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>?, Int, Int) -> Int32 = { result, alignment, size in
    AllocationCounter.noteCall()
    return CLibrary.functions.posixMemalign(result, alignment, size)
}

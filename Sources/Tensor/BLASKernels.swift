import CBLAS
import Foundation

/// Which of OpenBLAS's kernel sets runs, and picking a better one when it guessed badly.
///
/// OpenBLAS chooses its kernels for the CPU when the library loads. Debian 12's OpenBLAS
/// (0.3.21) does not recognise some newer Xeons and falls back to its generic SSE3 kernels
/// ("Prescott"), about 8× slower than its AVX-512 kernels on the same machine. The choice can
/// only be overridden by the OPENBLAS_CORETYPE environment variable before the library loads,
/// so the executable restarts itself with it set (see `restartWithFasterKernelsIfNeeded`).
public enum BLASKernels {
    /// OpenBLAS's name for the kernels in use, e.g. "SkylakeX", "Haswell", "Prescott".
    public static var coreName: String { String(cString: openblas_get_corename()) }

    private static let singleThreaded: Void = openblas_set_num_threads(1)

    /// Makes OpenBLAS run each call on the calling thread (the engine splits the work itself).
    @inline(__always) static func useSingleThread() { _ = singleThreaded }

    /// The kernel set to ask for, given the CPU's feature flags, when OpenBLAS fell back to its
    /// generic kernels; nil when its own choice stands.
    public static func betterCoreType(current: String, cpuFlags: Set<Substring>) -> String? {
        guard current == "Prescott" else { return nil }
        if ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(cpuFlags.contains) { return "SkylakeX" }
        if ["avx2", "fma"].allSatisfy(cpuFlags.contains) { return "Haswell" }
        return nil
    }

    static func cpuFlags() -> Set<Substring> {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { return [] }
        return Set(line.split(separator: " "))
    }

    /// Re-executes the current program with OPENBLAS_CORETYPE set when OpenBLAS fell back to
    /// generic kernels on a CPU that has AVX2 or AVX-512. Does nothing when the user set
    /// OPENBLAS_CORETYPE, or when the restart is not possible.
    public static func restartWithFasterKernelsIfNeeded() {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
              let core = betterCoreType(current: coreName, cpuFlags: cpuFlags())
        else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        unsetenv("OPENBLAS_CORETYPE")  // execv returned: it failed; carry on with what we have
    }
}

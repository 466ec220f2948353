import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// libhdf5 trusts a file's object headers: on some damaged ones (an enum type whose
/// size differs from its base type's, a string attribute whose global-heap address
/// points past the file) Debian's libhdf5 1.10 crashes the process before returning an
/// error. So a file is first opened in a forked child: if the child dies of a signal,
/// the file is reported as corrupt and the caller's process never runs the crashing
/// code. A file that opened cleanly is not probed again while unchanged. Set
/// SWIFTFRAME_HDF5_PROBE=0 to open in-process only (for hosts that must not fork).
enum HDF5Probe {
  private static let passed = Mutex<Set<MappedFile.Identity>>([])
  /// How long a probe may take before the child is killed and the file opened in-process
  /// (a child that cannot finish, e.g. one that inherited a lock, must not hang the caller).
  static let timeoutSeconds = 60.0

  /// Runs `open` in a forked child unless `file` passed before. Call with the library
  /// lock held, so that no other thread of this process is inside libhdf5 at the fork.
  static func check(_ file: MappedFile, _ open: () throws(SFError) -> Void) throws(SFError) {
    if let raw = getenv("SWIFTFRAME_HDF5_PROBE"), String(cString: raw) == "0" { return }
    if passed.withLock({ $0.contains(file.identity) }) { return }
    let pid = fork()
    if pid == 0 {
      // The child: the same open, then exit without running the parent's exit handlers.
      // A crash ends it at once, without the runtime's backtrace on the shared stderr.
      for s in [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP] { signal(s, SIG_DFL) }
      do throws(SFError) { try open(); _exit(0) } catch { _exit(1) }
    }
    guard pid > 0 else { return }  // no fork (resource limits): open in-process
    var status: Int32 = 0
    var waited = 0.0
    while waitpid(pid, &status, WNOHANG) == 0 {
      if waited > timeoutSeconds {
        kill(pid, SIGKILL)
        _ = waitpid(pid, &status, 0)
        return
      }
      var pause = timespec(tv_sec: 0, tv_nsec: 1_000_000)
      nanosleep(&pause, nil)
      waited += 0.001
    }
    let signal = status & 0x7f
    if signal != 0 && signal != 0x7f {
      throw SFError(.corrupt, "the HDF5 metadata is damaged (libhdf5 crashed reading it, signal \(signal))")
    }
    if (status >> 8) & 0xff == 0 { passed.withLock { _ = $0.insert(file.identity) } }
  }
}

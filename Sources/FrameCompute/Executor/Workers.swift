#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization
import FrameStorage

/// Reports a pass's progress (0…1) on the calling thread; returning false cancels it.
public typealias ProgressHandler = (Double) -> Bool

/// Worker threads: `SWIFTFRAME_THREADS` when set to a positive number, else all cores.
public let defaultThreadCount: Int = {
  if let raw = getenv("SWIFTFRAME_THREADS"), let n = Int(String(cString: raw)), n > 0 { return min(n, 1024) }
  return max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
}()

/// Passes made since the library was loaded, for users and tests that count them.
public let passCounter = Atomic<Int>(0)

/// Shared between the workers of one pass.
final class PassControl: @unchecked Sendable {
  let next = Atomic<Int>(0)
  let done = Atomic<Int>(0)
  let cancelled = Atomic<Bool>(false)
  private let lock = Mutex<SFError?>(nil)

  func fail(_ error: SFError) {
    lock.withLock { if $0 == nil { $0 = error } }
    cancelled.store(true, ordering: .relaxed)
  }

  var error: SFError? { lock.withLock { $0 } }
}

/// Runs `body` on every chunk index in `0..<chunkCount`, spread over `threads`
/// workers that each own a state made by `makeState`; returns the states for
/// merging. The calling thread only waits and reports progress, so a progress
/// handler (Python's Ctrl-C check) always runs on the caller's thread.
public func runPass<State>(
  chunkCount: Int, threads: Int = defaultThreadCount, progress: ProgressHandler? = nil,
  makeState: () -> State, body: @escaping (State, Int) throws(SFError) -> Void
) throws(SFError) -> [State] {
  passCounter.add(1, ordering: .relaxed)
  let workers = max(1, min(threads, chunkCount))
  let states = (0..<workers).map { _ in makeState() }
  let control = PassControl()

  func work(_ state: State) {
    while !control.cancelled.load(ordering: .relaxed) {
      let i = control.next.wrappingAdd(1, ordering: .relaxed).oldValue
      guard i < chunkCount else { return }
      do throws(SFError) {
        try body(state, i)
      } catch {
        control.fail(error)
        return
      }
      control.done.add(1, ordering: .relaxed)
    }
  }

  if workers == 1 && (progress == nil || chunkCount <= 1) {  // one chunk: too short to report on
    work(states[0])
  } else {
    let group = DispatchGroup()
    let box = UnsafeSendable(states: states, work: work)
    for w in 0..<workers {
      DispatchQueue.global().async(group: group) { box.work(box.states[w]) }
    }
    if let progress {
      while group.wait(timeout: .now() + .milliseconds(50)) == .timedOut {
        let fraction = chunkCount == 0 ? 1 : Double(control.done.load(ordering: .relaxed)) / Double(chunkCount)
        if !progress(fraction) { control.fail(SFError(.cancelled, "the pass was cancelled")) }
      }
    } else {
      group.wait()
    }
  }
  if let error = control.error { throw error }
  if let progress, !progress(1.0) { throw SFError(.cancelled, "the pass was cancelled") }
  return states
}

/// Carries the per-pass closures into Dispatch; the workers synchronize through PassControl.
private struct UnsafeSendable<State>: @unchecked Sendable {
  let states: [State]
  let work: (State) -> Void
}

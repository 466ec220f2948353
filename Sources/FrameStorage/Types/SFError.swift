/// The one error type of the engine. Every layer throws it (typed throws); the C
/// boundary turns `code` into a status and `message` into `sf_last_error()`.
public struct SFError: Error, Sendable, CustomStringConvertible {
  /// Mirrors the SF_ERR_* status codes of include/swiftframe.h.
  public enum Code: Int32, Sendable {
    case argument = 1, expression = 2, type = 3, io = 4, corrupt = 5
    case outOfMemory = 6, cancelled = 7, name = 8, notFound = 9
  }

  public let code: Code
  public let message: String

  public init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  public var description: String { message }

  public static func corrupt(_ message: String) -> SFError { SFError(.corrupt, message) }
  public static func argument(_ message: String) -> SFError { SFError(.argument, message) }
}

import CSwiftFrame
import SwiftFrame

@_cdecl("sf_frame_open_many")
public func sfFrameOpenMany(_ n: Int32, _ paths: UnsafePointer<UnsafePointer<CChar>?>?,
                            _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
  boundary { () throws(SFError) in
    let out = try output(out)
    out.pointee = retained(try DataFrame.open(paths: try strings(n, paths, "paths")))
  }
}

@_cdecl("sf_frame_concat")
public func sfFrameConcat(_ n: Int32, _ frames: UnsafePointer<OpaquePointer?>?,
                          _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
  boundary { () throws(SFError) in
    let out = try output(out)
    guard n >= 0 else { throw .argument("negative frame count \(n)") }
    guard n == 0 || frames != nil else { throw .argument("frames is NULL") }
    var list: [DataFrame] = []
    for i in 0..<Int(n) {
      guard frames![i] != nil else { throw .argument("frames[\(i)] is NULL") }
      list.append(try frame(frames![i]))
    }
    out.pointee = retained(try DataFrame.concat(list))
  }
}

import CSwiftFrame
import SwiftFrame

@_cdecl("sf_frame_write_arrow")
public func sfFrameWriteArrow(_ handle: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ n: Int32,
                               _ names: UnsafePointer<UnsafePointer<CChar>?>?, _ progress: sf_progress?,
                               _ ctx: UnsafeMutableRawPointer?) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle), path = try string(path, "path")
    guard n >= 0, n == 0 || names != nil else { throw .argument("names is NULL or n is negative") }
    var columns: [String]? = nil
    if n > 0, let names {
      var list: [String] = []
      for i in 0..<Int(n) { list.append(try string(names[i], "names[\(i)]")) }
      columns = list
    }
    try f.exportArrow(path, columns: columns, progress: progressHandler(progress, ctx))
  }
}

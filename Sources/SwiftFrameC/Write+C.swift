import CSwiftFrame
import SwiftFrame

@_cdecl("sf_frame_write_arrow")
public func sfFrameWriteArrow(_ handle: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ n: Int32,
                               _ names: UnsafePointer<UnsafePointer<CChar>?>?, _ progress: sf_progress?,
                               _ ctx: UnsafeMutableRawPointer?) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle), path = try string(path, "path")
    let columns = n == 0 ? nil : try strings(n, names, "names")
    try f.exportArrow(path, columns: columns, progress: progressHandler(progress, ctx))
  }
}

import CSwiftFrame
import SwiftFrame

@_cdecl("sf_frame_join")
public func sfFrameJoin(_ left: OpaquePointer?, _ right: OpaquePointer?, _ leftOn: UnsafePointer<CChar>?,
                        _ rightOn: UnsafePointer<CChar>?, _ how: UnsafePointer<CChar>?, _ lprefix: UnsafePointer<CChar>?,
                        _ rprefix: UnsafePointer<CChar>?, _ lsuffix: UnsafePointer<CChar>?,
                        _ rsuffix: UnsafePointer<CChar>?, _ allowDuplication: Int32, _ progress: sf_progress?,
                        _ ctx: UnsafeMutableRawPointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
  boundary { () throws(SFError) in
    let l = try frame(left), r = try frame(right), out = try output(out)
    let kind = try string(how, "how")
    guard let h = DataFrame.JoinHow(rawValue: kind) else {
      throw .argument("join type not supported: how='\(kind)', only 'left', 'inner' and 'right'")
    }
    let lo = leftOn == nil ? nil : try string(leftOn, "left_on"), ro = rightOn == nil ? nil : try string(rightOn, "right_on")
    out.pointee = retained(try l.join(r, leftOn: lo, rightOn: ro,
                                      how: h, lprefix: try string(lprefix, "lprefix"), rprefix: try string(rprefix, "rprefix"),
                                      lsuffix: try string(lsuffix, "lsuffix"), rsuffix: try string(rsuffix, "rsuffix"),
                                      allowDuplication: allowDuplication != 0, progress: progressHandler(progress, ctx)))
  }
}

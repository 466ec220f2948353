import CSwiftFrame
import SwiftFrame

@_cdecl("sf_csv_convert")
public func sfCSVConvert(_ csvPath: UnsafePointer<CChar>?, _ arrowPath: UnsafePointer<CChar>?,
                         _ optionsJSON: UnsafePointer<CChar>?, _ progress: sf_progress?,
                         _ ctx: UnsafeMutableRawPointer?) -> Int32 {
  boundary { () throws(SFError) in
    let csv = try string(csvPath, "csv_path"), arrow = try string(arrowPath, "arrow_path")
    let options = try optionsJSON.map { p throws(SFError) in try CSVOptions(json: String(cString: p)) } ?? CSVOptions()
    try DataFrame.convertCSV(path: csv, to: arrow, options: options, progress: progressHandler(progress, ctx))
  }
}

/// Opens a stored table, choosing the reader from the file's first bytes: HDF5's
/// signature (at offset 0 or after a user block) means vaex's HDF5 layout
/// (`HDF5Reader`); anything else goes to the Arrow IPC reader, whose errors say what
/// an Arrow file should look like.
public enum TableOpener {
  public static func open(path: String) throws(SFError) -> Table {
    let file = try MappedFile(path: path)
    if HDF5Reader.hasSignature(file.bytes) {
      return try HDF5Reader.read(file)
    }
    return try ArrowFileReader.open(path: path)
  }
}

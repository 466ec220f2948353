/// How `DataFrame.select` combines a new boolean expression with a named selection's
/// current one (vaex's modes; codes are SF_SELECT_* in include/swiftframe.h).
public enum SelectionMode: Int32, Sendable {
  case replace = 0, and = 1, or = 2, xor = 3, subtract = 4
}

extension DataFrame {
  /// Sets or combines the named selection `name` with the boolean `expression`, as vaex's
  /// `select`: replace, and, or, xor, or subtract (current & ~new). Without a current
  /// selection, and/or/xor take `expression` and subtract takes ~`expression`. Reads no
  /// data; statistics with `selection: name` count only the rows where it is true (a
  /// missing value counts as false). Copies, filters, column subsets and slices of the
  /// frame keep its selections.
  public func select(_ expression: String, name: String = "default", mode: SelectionMode = .replace) throws(SFError) {
    guard !name.isEmpty else { throw .argument("a selection name cannot be empty") }
    try state.withLock { (s: inout FrameState) throws(SFError) in
      let program = try compile(expression, s)
      guard program.dtype == .bool else {
        throw SFError(.type, "a selection must be a boolean expression, got \(program.dtype): '\(expression)'")
      }
      let combined: String
      switch (mode, s.selections[name]) {
      case (.replace, _), (.and, nil), (.or, nil), (.xor, nil): combined = expression
      case (.subtract, nil): combined = "~(\(expression))"
      case (.and, let old?): combined = "(\(old)) & (\(expression))"
      case (.or, let old?): combined = "(\(old)) | (\(expression))"
      case (.xor, let old?): combined = "(\(old)) ^ (\(expression))"
      case (.subtract, let old?): combined = "(\(old)) & ~(\(expression))"
      }
      s.selections[name] = combined
    }
  }

  /// Removes the named selection (vaex's `select_nothing`); nothing happens when there is none.
  public func clearSelection(name: String = "default") {
    state.withLock { _ = $0.selections.removeValue(forKey: name) }
  }

  /// The boolean expression of the named selection, or nil.
  public func selection(named name: String) -> String? {
    snapshot.selections[name]
  }

  /// The named selections as a JSON object {name: expression}, sorted by name.
  public func selectionsJSON() -> String {
    let items = snapshot.selections.sorted { $0.key < $1.key }
    return "{" + items.map { "\(jsonString($0.key)): \(jsonString($0.value))" }.joined(separator: ", ") + "}"
  }

  /// The expression a statistic's `selection` stands for: a named selection's expression,
  /// or `text` itself as a boolean expression. A bare name that is neither a selection
  /// nor a column is a `.name` error naming the selections there are.
  func selectionExpression(_ text: String, _ s: FrameState) throws(SFError) -> String {
    if let e = s.selections[text] { return e }
    let bare = text.first.map { $0 == "_" || $0.isLetter } == true && text.allSatisfy { $0 == "_" || $0.isLetter || $0.isNumber }
    if bare, s.storedIndex(text, in: table) == nil, !s.virtuals.contains(where: { $0.name == text }) {
      let known = s.selections.keys.sorted().map { "'\($0)'" }.joined(separator: ", ")
      throw SFError(.name, "no selection named '\(text)' (and no column of that name); "
                    + (known.isEmpty ? "the frame has no selections" : "the frame's selections are \(known)"))
    }
    return text
  }
}

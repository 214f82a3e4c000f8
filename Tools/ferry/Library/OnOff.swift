import ArgumentParser

/// A switch on the command line: `on` or `off`.
enum OnOff: String, ExpressibleByArgument, CaseIterable {
    case on, off
}

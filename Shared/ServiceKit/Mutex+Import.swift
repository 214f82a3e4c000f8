@_exported import Synchronization

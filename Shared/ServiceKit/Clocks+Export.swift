// Every service keeps time through ServiceKit's clock; its types come with ServiceKit.
@_exported public import Clocks

/// ARTS POSLog XML: the parser, the `poslog` format of the POS listener and the drop folder.
public enum POSLog {}

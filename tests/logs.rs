//! Transaction-log recovery against the real dirty hives of ../shared/testdata.

namespace DeepPcr.SafeTensors;

/// <summary>The element types this library reads and writes.</summary>
public enum SafeTensorDtype
{
    /// <summary>IEEE 754 binary64 ("F64").</summary>
    F64,

    /// <summary>IEEE 754 binary32 ("F32").</summary>
    F32,

    /// <summary>IEEE 754 binary16 ("F16").</summary>
    F16,

    /// <summary>bfloat16: the top 16 bits of a binary32 ("BF16").</summary>
    BF16,

    /// <summary>Signed 64-bit integer ("I64").</summary>
    I64,

    /// <summary>Signed 32-bit integer ("I32").</summary>
    I32,

    /// <summary>Signed 16-bit integer ("I16").</summary>
    I16,

    /// <summary>Signed 8-bit integer ("I8").</summary>
    I8,

    /// <summary>Unsigned 8-bit integer ("U8").</summary>
    U8,

    /// <summary>Boolean stored as one byte ("BOOL").</summary>
    Bool,
}

namespace DeepPcr.SafeTensors;

/// <summary>One tensor's entry in a safetensors header.</summary>
/// <param name="Name">The tensor's name (its key in the header).</param>
/// <param name="Dtype">The element type.</param>
/// <param name="Shape">The dimensions, outermost first; empty for a scalar.</param>
/// <param name="Begin">Start of the tensor's bytes, relative to the start of the data buffer.</param>
/// <param name="End">End (exclusive) of the tensor's bytes, relative to the start of the data buffer.</param>
public sealed record SafeTensorInfo(string Name, SafeTensorDtype Dtype, long[] Shape, long Begin, long End)
{
    /// <summary>The number of elements: the product of <see cref="Shape"/> (1 for a scalar, 0 if any dimension is 0).</summary>
    /// <exception cref="OverflowException">The product does not fit in a long.</exception>
    public long ElementCount => SafeTensorText.CheckedElementCount(Shape);

    /// <summary>The number of bytes the tensor occupies: <see cref="End"/> minus <see cref="Begin"/>.</summary>
    public long ByteLength => End - Begin;
}

namespace DeepPcr.Backward;

/// <summary>How the backward pass solves the reversed chain.</summary>
public enum AdjointMethod
{
    /// <summary>One PCR solve in ceil(log2 L) rounds (DeepPCR's backward pass).</summary>
    Parallel,

    /// <summary>Row by row over the stored states: L dependent block-vector products, the least arithmetic.</summary>
    Sequential,

    /// <summary>Whichever of the two ran faster for this step, batch and dtype, timed once on the first call (<see cref="AdjointChoice"/>).</summary>
    Auto,
}

namespace DeepPcr.Chains;

/// <summary>The structure of a step's Jacobian block df/dz (and of the blocks a linear solve works on).</summary>
public enum JacobianStructure
{
    /// <summary>A full w x w matrix per step and sample: blocks of shape (n, B, w, w).</summary>
    Dense,

    /// <summary>A diagonal matrix per step and sample, stored as its diagonal: blocks of shape (n, B, w).</summary>
    Diagonal,

    /// <summary>A scalar times the identity per step and sample: blocks of shape (n, B, 1).</summary>
    Scalar,
}

namespace DeepPcr.Chains;

/// <summary>The structure of a step's Jacobian block df/dz (and of the blocks a linear solve works on).</summary>
public enum JacobianStructure
{
    /// <summary>A full w x w matrix per step and sample: blocks of shape (n, B, w, w).</summary>
    Dense,

    /// <summary>
    /// k x k blocks whose entries are diagonal matrices of width h = w / k (the Jacobian of ParaRNN's LSTM-CIFG cell,
    /// state (h, c), is k = 2): blocks of shape (n, B, k, k, h), entry [i, j, m] = d out_{i h + m} / d in_{j h + m}.
    /// A step that declares it gives k through <see cref="IBlockDiagonalJacobian"/>.
    /// </summary>
    BlockDiagonal,

    /// <summary>A diagonal matrix per step and sample, stored as its diagonal: blocks of shape (n, B, w).</summary>
    Diagonal,

    /// <summary>A scalar times the identity per step and sample: blocks of shape (n, B, 1).</summary>
    Scalar,
}

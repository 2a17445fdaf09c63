namespace DeepPcr.Chains;

/// <summary>A step whose Jacobian is <see cref="JacobianStructure.BlockDiagonal"/>: it says how many blocks k a row has.</summary>
public interface IBlockDiagonalJacobian
{
    /// <summary>k: the Jacobian is k x k blocks of diagonal matrices of width w / k (k divides w).</summary>
    int JacobianBlocks { get; }
}

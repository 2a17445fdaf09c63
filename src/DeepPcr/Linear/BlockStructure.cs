using DeepPcr.Chains;
using DeepPcr.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Linear;

/// <summary>
/// How blocks A of a linear recurrence are stored and multiplied: a strategy per
/// <see cref="JacobianStructure"/>. Blocks carry leading dimensions (n, B) before the block itself:
/// dense (n, B, w, w), diagonal (n, B, w), scalar (n, B, 1).
/// </summary>
public abstract class BlockStructure
{
    /// <summary>Full w x w blocks.</summary>
    public static readonly BlockStructure Dense = new DenseBlocks();

    /// <summary>Diagonal blocks stored as their diagonal.</summary>
    public static readonly BlockStructure Diagonal = new DiagonalBlocks();

    /// <summary>Scalar multiples of the identity.</summary>
    public static readonly BlockStructure Scalar = new ScalarBlocks();

    /// <summary>k x k blocks of diagonal matrices (width w = k h): blocks of shape (n, B, k, k, h).</summary>
    /// <exception cref="ArgumentOutOfRangeException">k &lt; 1.</exception>
    public static BlockStructure BlockDiagonal(int blocks) =>
        blocks >= 1 ? new BlockDiagonalBlocks(blocks) : throw new ArgumentOutOfRangeException(nameof(blocks), blocks, "A block-diagonal structure needs k >= 1 blocks.");

    /// <summary>The strategy for a structure that needs no parameter (dense, diagonal, scalar).</summary>
    /// <exception cref="ArgumentOutOfRangeException">BlockDiagonal (use <see cref="Of"/> or <see cref="BlockDiagonal"/>) or an unknown value.</exception>
    public static BlockStructure For(JacobianStructure structure) => structure switch
    {
        JacobianStructure.Dense => Dense,
        JacobianStructure.Diagonal => Diagonal,
        JacobianStructure.Scalar => Scalar,
        _ => throw new ArgumentOutOfRangeException(nameof(structure), structure, "Block-diagonal blocks need their count k: use BlockStructure.Of(step)."),
    };

    /// <summary>The strategy of the structure a step declares (k from <see cref="IBlockDiagonalJacobian"/> for block-diagonal steps).</summary>
    /// <exception cref="ArgumentException">A block-diagonal step whose k does not divide its width.</exception>
    public static BlockStructure Of(IChainStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (step.JacobianStructure != JacobianStructure.BlockDiagonal) return For(step.JacobianStructure);
        int k = (step as IBlockDiagonalJacobian)?.JacobianBlocks
            ?? throw new ArgumentException("A step that declares a block-diagonal Jacobian must implement IBlockDiagonalJacobian.", nameof(step));
        if (k < 1 || step.Width % k != 0) throw new ArgumentException($"The step's {k} Jacobian blocks do not divide its width {step.Width}.", nameof(step));
        return BlockDiagonal(k);
    }

    /// <summary>The structure as the host kernels dispatch on it.</summary>
    internal virtual Kernels.HostBlock HostBlock(int width) => new(Kind, width);

    /// <summary>The dense (n, B, w, w) matrices of blocks (n, B, block).</summary>
    public abstract Tensor ToDense(Tensor a, long width);

    /// <summary>The structure this strategy stores.</summary>
    public abstract JacobianStructure Kind { get; }

    /// <summary>The trailing dimensions of one block for width w: [w, w], [w] or [1].</summary>
    public abstract long[] BlockShape(long width);

    /// <summary>Applies blocks to vectors: a (n, B, block) times v (n, B, w) gives (n, B, w).</summary>
    public abstract Tensor Apply(Tensor a, Tensor v);

    /// <summary>The product outer · inner of two block stacks of equal leading shape.</summary>
    public abstract Tensor Compose(Tensor outer, Tensor inner);

    /// <summary>The transposed blocks (the identity map for diagonal and scalar blocks).</summary>
    public abstract Tensor Transpose(Tensor a);

    /// <summary>
    /// The cheaper block of this structure nearest to dense blocks (n, B, w, w): the dense blocks themselves,
    /// their diagonal, or the mean of their diagonal (trace / w) times the identity.
    /// </summary>
    public abstract Tensor FromDense(Tensor dense);

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="a"/> has shape (n, B, block).</summary>
    public void CheckShape(Tensor a, string name, long length, long batch, long width) =>
        TensorChecks.Shape(a, name, new long[] { length, batch }.Concat(BlockShape(width)).ToArray());

    private sealed class DenseBlocks : BlockStructure
    {
        public override JacobianStructure Kind => JacobianStructure.Dense;
        public override long[] BlockShape(long width) => new[] { width, width };
        public override Tensor Apply(Tensor a, Tensor v) => torch.matmul(a, v.unsqueeze(-1)).squeeze(-1);
        public override Tensor Compose(Tensor outer, Tensor inner) => torch.matmul(outer, inner);
        public override Tensor Transpose(Tensor a) => a.transpose(-1, -2);
        public override Tensor FromDense(Tensor dense) => dense;
        public override Tensor ToDense(Tensor a, long width) => a;
    }

    private sealed class DiagonalBlocks : BlockStructure
    {
        public override JacobianStructure Kind => JacobianStructure.Diagonal;
        public override long[] BlockShape(long width) => new[] { width };
        public override Tensor Apply(Tensor a, Tensor v) => a * v;
        public override Tensor Compose(Tensor outer, Tensor inner) => outer * inner;
        public override Tensor Transpose(Tensor a) => a;
        public override Tensor FromDense(Tensor dense) => dense.diagonal(0, -2, -1);
        public override Tensor ToDense(Tensor a, long width) => torch.diag_embed(a);
    }

    private sealed class ScalarBlocks : BlockStructure
    {
        public override JacobianStructure Kind => JacobianStructure.Scalar;
        public override long[] BlockShape(long width) => new[] { 1L };
        public override Tensor Apply(Tensor a, Tensor v) => a * v;
        public override Tensor Compose(Tensor outer, Tensor inner) => outer * inner;
        public override Tensor Transpose(Tensor a) => a;
        public override Tensor FromDense(Tensor dense) =>
            dense.diagonal(0, -2, -1).mean(new long[] { -1 }, keepdim: true);
        public override Tensor ToDense(Tensor a, long width) => a.unsqueeze(-1) * torch.eye(width, dtype: a.dtype, device: a.device);
    }

    /// <summary>Entry [i, j, m] of a block is d out_{i h + m} / d in_{j h + m}.</summary>
    private sealed class BlockDiagonalBlocks(int blocks) : BlockStructure
    {
        public override JacobianStructure Kind => JacobianStructure.BlockDiagonal;
        public override long[] BlockShape(long width) => new[] { blocks, blocks, width / blocks };
        internal override Kernels.HostBlock HostBlock(int width) => new(Kind, width, blocks);

        public override Tensor Apply(Tensor a, Tensor v)
        {
            var shape = v.shape;
            var parts = v.reshape(shape.Take(shape.Length - 1).Concat(new long[] { blocks, shape[^1] / blocks }).ToArray()); // (.., k, h)
            return (a * parts.unsqueeze(-3)).sum(-2).reshape(shape);
        }

        public override Tensor Compose(Tensor outer, Tensor inner) => (outer.unsqueeze(-2) * inner.unsqueeze(-4)).sum(-3);
        public override Tensor Transpose(Tensor a) => a.transpose(-3, -2);

        public override Tensor FromDense(Tensor dense)
        {
            var shape = dense.shape;
            long w = shape[^1], h = w / blocks;
            var split = dense.reshape(shape.Take(shape.Length - 2).Concat(new long[] { blocks, h, blocks, h }).ToArray());   // (.., i, m, j, m')
            return split.diagonal(0, -3, -1);                                                                           // (.., i, j, m)
        }

        public override Tensor ToDense(Tensor a, long width)
        {
            long h = width / blocks;
            var full = torch.diag_embed(a);                                                     // (.., i, j, m, m')
            int d = (int)full.dim();
            return full.permute(Enumerable.Range(0, d - 4).Select(x => (long)x).Concat(new long[] { d - 4, d - 2, d - 3, d - 1 }).ToArray())
                .reshape(a.shape.Take(a.shape.Length - 3).Concat(new long[] { width, width }).ToArray());
        }
    }
}

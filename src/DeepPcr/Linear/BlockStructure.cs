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

    /// <summary>The strategy for a structure.</summary>
    public static BlockStructure For(JacobianStructure structure) => structure switch
    {
        JacobianStructure.Dense => Dense,
        JacobianStructure.Diagonal => Diagonal,
        JacobianStructure.Scalar => Scalar,
        _ => throw new ArgumentOutOfRangeException(nameof(structure), structure, "Unknown Jacobian structure."),
    };

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
    }

    private sealed class DiagonalBlocks : BlockStructure
    {
        public override JacobianStructure Kind => JacobianStructure.Diagonal;
        public override long[] BlockShape(long width) => new[] { width };
        public override Tensor Apply(Tensor a, Tensor v) => a * v;
        public override Tensor Compose(Tensor outer, Tensor inner) => outer * inner;
        public override Tensor Transpose(Tensor a) => a;
        public override Tensor FromDense(Tensor dense) => dense.diagonal(0, -2, -1);
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
    }
}

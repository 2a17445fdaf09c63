using DeepPcr.Chains;
using DeepPcr.Linear;
using DeepPcr.Newton;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Solvers;

/// <summary>
/// What a parallel method uses for the blocks A_l of its linear solve: the exact Jacobian (Newton, DeepPCR),
/// a cheaper structure of it (quasi-Newton), or nothing at all (Picard, A = 0). The residual is always exact,
/// so every choice has the same fixed point; they differ in how many iterations they need.
/// </summary>
public abstract class Linearization
{
    /// <summary>Newton with the step's exact Jacobian in its declared structure.</summary>
    public static Linearization Exact { get; } = new ExactLinearization();

    /// <summary>No linear part: the Jacobi / Picard iteration z_l = f_l(z_{l-1}).</summary>
    public static Linearization None { get; } = new NoLinearization();

    /// <summary>Quasi-Newton: the exact Jacobian reduced to a cheaper structure (its diagonal, or trace / w).</summary>
    public static Linearization Cheaper(JacobianStructure structure) => new CheaperLinearization(structure);

    /// <summary>The method in results.</summary>
    public abstract ChainMethod Method { get; }

    /// <summary>The method's name in results.</summary>
    public string MethodName => Method.Name();

    /// <summary>The Jacobian choice this linearization makes.</summary>
    public abstract JacobianChoice Choice { get; }

    /// <summary>True when the next update is a fair estimate of the current iterate's error (exact Newton).</summary>
    public bool UpdateEstimatesError => Choice.UpdateEstimatesError();

    /// <summary>The structure of the blocks for this step, or null when there is no linear part.</summary>
    public abstract BlockStructure? StructureFor(IChainStep step);

    /// <summary>The blocks A for steps first..first+n-1 at inputs (n, B, w), or null for Picard.</summary>
    public abstract Tensor? Blocks(IChainStep step, int first, Tensor inputs);

    private sealed class ExactLinearization : Linearization
    {
        public override ChainMethod Method => ChainMethod.DeepPcr;
        public override JacobianChoice Choice => JacobianChoice.Exact;
        public override BlockStructure StructureFor(IChainStep step) => BlockStructure.For(step.JacobianStructure);
        public override Tensor Blocks(IChainStep step, int first, Tensor inputs) => AutogradJacobian.Of(step, first, inputs);
    }

    private sealed class NoLinearization : Linearization
    {
        public override ChainMethod Method => ChainMethod.Picard;
        public override JacobianChoice Choice => JacobianChoice.None;
        public override BlockStructure? StructureFor(IChainStep step) => null;
        public override Tensor? Blocks(IChainStep step, int first, Tensor inputs) => null;
    }

    private sealed class CheaperLinearization(JacobianStructure structure) : Linearization
    {
        public override ChainMethod Method => structure == JacobianStructure.Diagonal ? ChainMethod.QuasiNewtonDiagonal : ChainMethod.QuasiNewtonScalar;
        public override JacobianChoice Choice => structure == JacobianStructure.Diagonal ? JacobianChoice.Diagonal : JacobianChoice.Scalar;

        public override BlockStructure StructureFor(IChainStep step)
        {
            if (structure <= step.JacobianStructure)
            {
                throw new ArgumentException(
                    $"Quasi-Newton with {structure} blocks needs a step whose Jacobian is richer than {structure}; this step's is {step.JacobianStructure}.");
            }
            return BlockStructure.For(structure);
        }

        public override Tensor Blocks(IChainStep step, int first, Tensor inputs)
        {
            using var scope = torch.NewDisposeScope();
            var exact = AutogradJacobian.Of(step, first, inputs);
            var reduced = step.JacobianStructure == JacobianStructure.Dense
                ? BlockStructure.For(structure).FromDense(exact)
                : exact.mean(new long[] { -1 }, keepdim: true); // diagonal to scalar: trace / w
            return reduced.MoveToOuterDisposeScope();
        }
    }
}

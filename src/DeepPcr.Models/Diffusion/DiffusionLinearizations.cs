using DeepPcr.Chains;
using DeepPcr.Linear;
using DeepPcr.Newton;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Models.Diffusion;

/// <summary>
/// Quasi-Newton linearizations for the diffusion chain, plugged into the core's <see cref="ParallelChainSolver"/>:
/// scalar blocks sqrt(alpha_t) (the step's true contraction for Gaussian data), and scalar blocks tr(J_t) / w
/// averaged over a few samples (the exact trace, computed without forming the Jacobian).
/// </summary>
public static class DiffusionLinearizations
{
    /// <summary>A_t = sqrt(alpha_t) I.</summary>
    public static Linearization SqrtAlpha(DiffusionChain chain) => new SqrtAlphaLinearization(chain);

    /// <summary>A_t = (tr(J_t) / w) I, the trace averaged over the first <paramref name="probes"/> samples.</summary>
    public static Linearization Trace(DiffusionChain chain, int probes = 4) => new TraceLinearization(chain, probes);

    private sealed class SqrtAlphaLinearization(DiffusionChain chain) : Linearization
    {
        public override ChainMethod Method => ChainMethod.QuasiSqrtAlpha;
        public override JacobianChoice Choice => JacobianChoice.Scalar;
        public override BlockStructure StructureFor(IChainStep step) => BlockStructure.Scalar;
        public override Tensor Blocks(IChainStep step, int first, Tensor inputs) =>
            chain.SqrtAlphaBlocks(first, inputs.size(0), inputs.size(1), inputs.dtype);
    }

    private sealed class TraceLinearization(DiffusionChain chain, int probes) : Linearization
    {
        public override ChainMethod Method => ChainMethod.QuasiTrace;
        public override JacobianChoice Choice => JacobianChoice.Scalar;
        public override BlockStructure StructureFor(IChainStep step) => BlockStructure.Scalar;

        public override Tensor Blocks(IChainStep step, int first, Tensor inputs)
        {
            using var scope = torch.NewDisposeScope();
            long n = inputs.size(0), batch = inputs.size(1);
            var few = inputs.narrow(1, 0, Math.Min(probes, batch));
            var trace = chain.MeanDiagonal(first, few).mean(new long[] { 1 });             // (n): tr / w, averaged over probes
            return trace.reshape(n, 1, 1).expand(n, batch, 1).contiguous().MoveToOuterDisposeScope();
        }
    }
}

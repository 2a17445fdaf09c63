using DeepPcr.Chains;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests.Support;

/// <summary>
/// z_{k+1} = scale * exp(sign * z_k) elementwise, with a diagonal Jacobian (n, B, w). With scale 0.5 and sign -1 it
/// contracts; with scale 1 and sign +1 it overflows within a few steps (the sequential pass itself reaches infinity).
/// </summary>
public sealed class ExpStep(int length, int width, double scale, double sign) : IChainStep
{
    public int Length => length;
    public int Width => width;
    public JacobianStructure JacobianStructure => JacobianStructure.Diagonal;

    public Tensor Evaluate(int first, Tensor inputs) => (inputs * sign).exp_().mul_(scale);

    public Tensor? Jacobian(int first, Tensor inputs) => (inputs * sign).exp_().mul_(scale * sign);
}

using System.Numerics;
using DeepPcr.Chains;
using static TorchSharp.torch;

namespace DeepPcr.MpiCheck;

/// <summary>An MLP chain whose step <c>failing</c> throws when it is evaluated on the host: the rank that holds it fails mid-solve.</summary>
internal sealed class FailingStep(IHostChainStep inner, int failing) : IHostChainStep
{
    public int Length => inner.Length;
    public int Width => inner.Width;
    public JacobianStructure JacobianStructure => inner.JacobianStructure;
    public Tensor Evaluate(int first, Tensor inputs) => inner.Evaluate(first, inputs);
    public Tensor? Jacobian(int first, Tensor inputs) => inner.Jacobian(first, inputs);
    public bool SupportsHost(ScalarType dtype) => inner.SupportsHost(dtype);

    public void EvaluateOnHost<T>(int first, int batch, ReadOnlySpan<T> inputs, Span<T> outputs, Span<T> jacobian, long stride)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int count = inputs.Length / (batch * Width);
        if (first <= failing && failing < first + count) throw new InvalidOperationException($"step {failing} failed on purpose (the abort test)");
        inner.EvaluateOnHost(first, batch, inputs, outputs, jacobian, stride);
    }
}

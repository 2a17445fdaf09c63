using System.Numerics;
using DeepPcr.Chains;
using DeepPcr.Models.Mlp;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Models.ResNet;

/// <summary>
/// Residual blocks z_{k+1} = z_k + h tanh(W_k z_k + b_k) as a chain: J_k = I + h diag(tanh') W_k. A small step
/// scale h keeps every J_k close to the identity, so products over 1024 blocks neither explode nor vanish.
/// </summary>
public sealed class ResidualChain : IHostDifferentiableChainStep, ISegmentedChainStep
{
    private readonly MlpChain branch;

    /// <summary>Blocks with weights (L, w, w), biases (L, w) and step scale h.</summary>
    public ResidualChain(Tensor weights, Tensor biases, double stepScale)
    {
        if (!double.IsFinite(stepScale)) throw new ArgumentException($"The step scale h must be finite (got {stepScale}).", nameof(stepScale));
        branch = new MlpChain(weights, biases, Activation.Tanh);
        StepScale = stepScale;
    }

    /// <summary>h.</summary>
    public double StepScale { get; }

    /// <summary>Blocks first..first+count-1 as a residual chain of their own (views of these weights and biases).</summary>
    public IChainStep Segment(int first, int count)
    {
        SegmentChecks.Range(first, count, Length);
        return new ResidualChain(branch.Weights.narrow(0, first, count), branch.Biases.narrow(0, first, count), StepScale);
    }

    /// <inheritdoc />
    public int Length => branch.Length;

    /// <inheritdoc />
    public int Width => branch.Width;

    /// <inheritdoc />
    public JacobianStructure JacobianStructure => JacobianStructure.Dense;

    /// <inheritdoc />
    public IReadOnlyList<Tensor> Parameters => branch.Parameters;

    /// <inheritdoc />
    public Tensor Evaluate(int first, Tensor inputs)
    {
        using var scope = torch.NewDisposeScope();
        return (inputs + StepScale * branch.Evaluate(first, inputs)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor Jacobian(int first, Tensor inputs)
    {
        using var scope = torch.NewDisposeScope();
        var identity = torch.eye(Width, dtype: inputs.dtype, device: inputs.device);
        return (identity + StepScale * branch.Jacobian(first, inputs)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public IReadOnlyList<Tensor> ParameterGradients(Tensor inputs, Tensor cotangents)
    {
        using var scope = torch.NewDisposeScope();
        return branch.ParameterGradients(inputs, cotangents * StepScale).Select(g => g.MoveToOuterDisposeScope()).ToArray();
    }

    /// <inheritdoc />
    public bool SupportsHost(ScalarType dtype) => branch.SupportsHost(dtype);

    /// <summary>z + h tanh(W z + b) per row, and I + h diag(tanh') W in the planar layout, from the branch's host kernel.</summary>
    public void EvaluateOnHost<T>(int first, int batch, ReadOnlySpan<T> inputs, Span<T> outputs, Span<T> jacobian, long stride)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        branch.EvaluateOnHost(first, batch, inputs, outputs, jacobian, stride);
        T h = T.CreateTruncating(StepScale);
        for (int i = 0; i < outputs.Length; i++) outputs[i] = inputs[i] + h * outputs[i];
        if (jacobian.IsEmpty) return;
        int width = Width, rows = inputs.Length / width;
        for (int e = 0; e < width * width; e++)
        {
            var plane = jacobian.Slice((int)(e * stride), rows);
            bool diagonal = e % (width + 1) == 0;
            for (int r = 0; r < rows; r++) plane[r] = diagonal ? T.One + h * plane[r] : h * plane[r];
        }
    }

    /// <summary>The fused sequential loop z + h tanh(W z + b), parameters read once.</summary>
    public void RunSequentialOnHost<T>(int first, int batch, ReadOnlySpan<T> start, Span<T> states)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        branch.RunResidualSequentialOnHost(first, batch, start, states, StepScale);

    /// <summary>The branch's host gradients with the cotangents scaled by h (the branch is evaluated again for its slopes).</summary>
    public IReadOnlyList<Tensor> ParameterGradientsOnHost<T>(int batch, ReadOnlySpan<T> inputs, ReadOnlySpan<T> outputs, ReadOnlySpan<T> cotangents)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var branchOutputs = new T[inputs.Length];
        branch.EvaluateOnHost<T>(0, batch, inputs, branchOutputs, Span<T>.Empty, 0);
        T h = T.CreateTruncating(StepScale);
        var scaled = new T[cotangents.Length];
        for (int i = 0; i < scaled.Length; i++) scaled[i] = h * cotangents[i];
        return branch.ParameterGradientsOnHost<T>(batch, inputs, branchOutputs, scaled);
    }
}

using System.Numerics;
using static TorchSharp.torch;

namespace DeepPcr.Chains;

/// <summary>
/// A step that is a view of another step with host kernels (a TorchSharp module around a chain, a user's layers stacked
/// into one chain): every step member forwards to <see cref="Inner"/>, once, here. A class overrides what it must (its
/// own parameters, say) by implementing that member itself.
/// </summary>
public interface IChainStepView : IHostDifferentiableChainStep
{
    /// <summary>The step this one is a view of.</summary>
    IHostDifferentiableChainStep Inner { get; }

    int IChainStep.Length => Inner.Length;

    int IChainStep.Width => Inner.Width;

    JacobianStructure IChainStep.JacobianStructure => Inner.JacobianStructure;

    IReadOnlyList<Tensor> IDifferentiableChainStep.Parameters => Inner.Parameters;

    Tensor IChainStep.Evaluate(int first, Tensor inputs) => Inner.Evaluate(first, inputs);

    Tensor? IChainStep.Jacobian(int first, Tensor inputs) => Inner.Jacobian(first, inputs);

    IReadOnlyList<Tensor>? IDifferentiableChainStep.ParameterGradients(Tensor inputs, Tensor cotangents) => Inner.ParameterGradients(inputs, cotangents);

    bool IHostChainStep.SupportsHost(ScalarType dtype) => Inner.SupportsHost(dtype);

    void IHostChainStep.EvaluateOnHost<T>(int first, int batch, ReadOnlySpan<T> inputs, Span<T> outputs, Span<T> jacobian, long stride) =>
        Inner.EvaluateOnHost(first, batch, inputs, outputs, jacobian, stride);

    void IHostChainStep.RunSequentialOnHost<T>(int first, int batch, ReadOnlySpan<T> start, Span<T> states) =>
        Inner.RunSequentialOnHost(first, batch, start, states);

    IReadOnlyList<Tensor> IHostDifferentiableChainStep.ParameterGradientsOnHost<T>(int batch, ReadOnlySpan<T> inputs, ReadOnlySpan<T> outputs, ReadOnlySpan<T> cotangents) =>
        Inner.ParameterGradientsOnHost(batch, inputs, outputs, cotangents);

    bool IHostDifferentiableChainStep.SupportsBackwardFromStates(ScalarType dtype) => Inner.SupportsBackwardFromStates(dtype);

    IReadOnlyList<Tensor> IHostDifferentiableChainStep.BackwardFromStatesOnHost<T>(int batch, ReadOnlySpan<T> start, ReadOnlySpan<T> states, ReadOnlySpan<T> cotangents, Span<T> lambdas, Span<T> inputGradient) =>
        Inner.BackwardFromStatesOnHost(batch, start, states, cotangents, lambdas, inputGradient);
}

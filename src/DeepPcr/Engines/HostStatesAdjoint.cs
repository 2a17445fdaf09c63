using System.Numerics;
using System.Runtime.InteropServices;
using DeepPcr.Chains;
using DeepPcr.Linear.Kernels;
using DeepPcr.Newton;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Engines;

/// <summary>
/// The backward pass's backend for the sequential pass's own states on a step with a backward pass from its states
/// (<see cref="IHostDifferentiableChainStep.BackwardFromStatesOnHost{T}"/>): the reversed chain is solved row by row in
/// one sweep that also gives the input and parameter gradients, and no Jacobian is built (the fused loop's backward
/// pass). The tensors are read and written in place (contiguous copies, where they are not, belong to the caller's
/// dispose scope). It runs only the row-by-row solve: <see cref="EngineSelection"/>
/// pairs it with nothing else.
/// </summary>
internal sealed class HostStatesAdjoint<T> : IAdjointBackend where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly IHostDifferentiableChainStep step;
    private readonly Tensor input, states, cotangents;
    private readonly int batch;

    /// <summary>The backend for states (L, B, w) of the sequential pass from input (B, w), cotangents (B, w) on z_L or (L, B, w);
    /// lambda is written only when <paramref name="stateGradients"/> is true.</summary>
    public HostStatesAdjoint(IHostDifferentiableChainStep step, Tensor input, Tensor states, Tensor cotangents, bool stateGradients = true)
    {
        this.step = step;
        batch = (int)input.size(0);
        this.input = Contiguous(input);
        this.states = Contiguous(states);
        this.cotangents = Contiguous(cotangents);
        Lambda = stateGradients ? torch.empty(new long[] { step.Length, batch, step.Width }, dtype: input.dtype) : null;
        InputGradient = torch.empty(new long[] { batch, step.Width }, dtype: input.dtype);
    }

    /// <summary>(L, B, w): lambda, written by the solve; null when the caller wants none.</summary>
    public Tensor? Lambda { get; }

    /// <summary>(B, w): dLoss/dz_0, written by the solve.</summary>
    public Tensor InputGradient { get; }

    /// <summary>The parameter gradients, after the solve.</summary>
    public IReadOnlyList<Tensor> ParameterGradients { get; private set; } = [];

    /// <summary>Nothing to build: the sweep reads the states.</summary>
    public void Linearize()
    {
    }

    /// <inheritdoc />
    public int SolveReversed(bool sequential)
    {
        if (!sequential) throw new NotSupportedException("The backward pass from the states solves the reversed chain row by row only.");
        ParameterGradients = step.BackwardFromStatesOnHost<T>(batch, Values(input), Values(states), Values(cotangents), Lambda is null ? Span<T>.Empty : Values(Lambda), Values(InputGradient));
        return 0;
    }

    /// <summary>Lambda finite; without it, the input and parameter gradients (a non-finite lambda reaches them, or the
    /// slope that stopped it was zero).</summary>
    public bool Finite => Lambda is not null
        ? HostFinite.All<T>(Values(Lambda))
        : HostFinite.All<T>(Values(InputGradient)) && ParameterGradients.All(g => HostFinite.All<T>(Values(g)));

    /// <summary>Nothing left: the sweep gave every gradient.</summary>
    public void Gradients()
    {
    }

    private static Tensor Contiguous(Tensor tensor) => tensor.is_contiguous() ? tensor : tensor.contiguous();

    private static Span<T> Values(Tensor tensor) => MemoryMarshal.Cast<byte, T>(tensor.bytes);
}

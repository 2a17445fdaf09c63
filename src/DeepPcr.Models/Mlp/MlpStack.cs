using DeepPcr.Autograd;
using DeepPcr.Chains;
using DeepPcr.Solvers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepPcr.Models.Mlp;

/// <summary>
/// A deep MLP of L layers z_l = act(W_l z_{l-1} + b_l), all of width w, as a TorchSharp module whose
/// forward and backward passes run on DeepPCR (<see cref="ChainFunction"/>; on the host engine for CPU float32/float64), with analytic Jacobians
/// diag(act') W and analytic parameter gradients. <see cref="Mode"/> switches to the sequential pass.
/// Parameters: "weight" (L, w, w) and "bias" (L, w).
/// </summary>
public sealed class MlpStack : nn.Module<Tensor, Tensor>, IHostDifferentiableChainStep
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly MlpChain chain;

    /// <summary>A stack with copies of the given weights (L, w, w) and biases (L, w).</summary>
    public MlpStack(Tensor weights, Tensor biases, Activation activation) : base("MlpStack")
    {
        _ = new MlpChain(weights, biases, activation); // validates shapes, dtypes and values
        weight = new Parameter(weights.detach().clone());
        bias = new Parameter(biases.detach().clone());
        chain = new MlpChain(weight, bias, activation);
        register_parameter("weight", weight);
        register_parameter("bias", bias);
    }

    /// <summary>Parallel (DeepPCR forward and backward, the default) or sequential (plain autograd).</summary>
    public ChainMode Mode { get; set; } = ChainMode.Parallel;

    /// <summary>The forward method in parallel mode; DeepPCR by default.</summary>
    public IChainSolver Solver { get; set; } = ParallelChainSolver.DeepPcr;

    /// <summary>Solver settings; null for the defaults.</summary>
    public SolverOptions? Options { get; set; }

    /// <summary>The last parallel forward's solution, or null.</summary>
    public ChainSolution? LastSolution { get; private set; }

    /// <summary>The chain view of the parameters.</summary>
    public MlpChain Chain => chain;

    /// <summary>The activation.</summary>
    public Activation Activation => chain.Activation;

    /// <inheritdoc />
    public int Length => chain.Length;

    /// <inheritdoc />
    public int Width => chain.Width;

    /// <inheritdoc />
    public JacobianStructure JacobianStructure => JacobianStructure.Dense;

    /// <inheritdoc />
    public IReadOnlyList<Tensor> Parameters => new Tensor[] { weight, bias };

    /// <inheritdoc />
    public Tensor Evaluate(int first, Tensor inputs) => chain.Evaluate(first, inputs);

    /// <inheritdoc />
    public Tensor? Jacobian(int first, Tensor inputs) => chain.Jacobian(first, inputs);

    /// <inheritdoc />
    public IReadOnlyList<Tensor>? ParameterGradients(Tensor inputs, Tensor cotangents) => chain.ParameterGradients(inputs, cotangents);

    /// <inheritdoc />
    public bool SupportsHost(ScalarType dtype) => chain.SupportsHost(dtype);

    /// <inheritdoc />
    public void EvaluateOnHost<T>(int first, int batch, ReadOnlySpan<T> inputs, Span<T> outputs, Span<T> jacobian, long stride)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        chain.EvaluateOnHost(first, batch, inputs, outputs, jacobian, stride);

    /// <inheritdoc />
    public void RunSequentialOnHost<T>(int first, int batch, ReadOnlySpan<T> start, Span<T> states)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        chain.RunSequentialOnHost(first, batch, start, states);

    /// <inheritdoc />
    public IReadOnlyList<Tensor> ParameterGradientsOnHost<T>(int batch, ReadOnlySpan<T> inputs, ReadOnlySpan<T> outputs, ReadOnlySpan<T> cotangents)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        chain.ParameterGradientsOnHost(batch, inputs, outputs, cotangents);

    /// <summary>z_L (B, w) from the input z_0 (B, w).</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        return States(input)[Length - 1].MoveToOuterDisposeScope();
    }

    /// <summary>All states z_1..z_L (L, B, w), differentiable in either mode.</summary>
    public Tensor States(Tensor input) => Mode == ChainMode.Sequential
        ? SequentialPass.Run(this, input)
        : ChainFunction.Apply(this, Solver, Options, input, s => LastSolution = s);
}

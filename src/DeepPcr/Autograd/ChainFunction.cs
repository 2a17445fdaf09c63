using DeepPcr.Backward;
using DeepPcr.Chains;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Autograd;

/// <summary>
/// "Solve this chain with a parallel method" as a TorchSharp autograd function. Forward: the solver's
/// states (L, B, w). Backward: one reversed PCR solve with the exact Jacobians (<see cref="AdjointSolver"/>), or, after
/// a sequential forward pass on a step that has it, the row-by-row pass from the states without Jacobians,
/// giving the gradients of the input and of every parameter of the step, so that <c>loss.backward()</c>
/// fills their <c>.grad</c>. Between forward and backward it keeps z_0 (B, w) and the accepted states
/// (L, B, w), saved through autograd; the Jacobians (L B w^2 numbers when dense) are rebuilt in backward
/// in one batched call rather than held.
/// </summary>
public sealed class ChainFunction : torch.autograd.MultiTensorFunction<ChainFunction>
{
    /// <inheritdoc />
    public override string Name => "DeepPcrChain";

    /// <summary>
    /// Applies the function: returns the states (L, B, w), differentiable with respect to the input and the step's parameters.
    /// </summary>
    /// <param name="step">The chain step; its <see cref="IDifferentiableChainStep.Parameters"/> get gradients.</param>
    /// <param name="solver">The forward method (DeepPCR, quasi-Newton, Picard or sequential).</param>
    /// <param name="options">Solver settings, or null for the defaults.</param>
    /// <param name="input">(B, w): z_0.</param>
    /// <param name="report">Receives the forward solution (method, iterations, termination), or null.</param>
    /// <param name="backwardReport">Receives the backward pass's adjoint solution (engine, rounds), or null.</param>
    /// <param name="adjoint">How the backward pass solves the reversed chain.</param>
    /// <exception cref="InvalidOperationException">The forward method stopped at its iteration limit without converging.</exception>
    public static Tensor Apply(IDifferentiableChainStep step, IChainSolver solver, SolverOptions? options, Tensor input, Action<ChainSolution>? report = null,
        Action<AdjointSolution>? backwardReport = null, AdjointMethod adjoint = AdjointMethod.Parallel)
    {
        var args = new List<object> { step, solver, new Settings(options, report, backwardReport, adjoint), input };
        if (step is IDrivenChainStep driven) args.Add(driven.StepInputs); // an input of the function, so that x.grad is filled
        args.AddRange(step.Parameters);
        return apply(args.ToArray())[0];
    }

    /// <inheritdoc />
    public override List<Tensor> forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var step = (IDifferentiableChainStep)vars[0];
        var solver = (IChainSolver)vars[1];
        var settings = (Settings)vars[2];
        var input = (Tensor)vars[3];
        var solution = solver.Solve(step, input.detach(), settings.Options);
        if (solution.Termination == Termination.IterationLimit)
        {
            throw new InvalidOperationException(
                $"{solution.MethodName} stopped at its iteration limit ({solution.Iterations}) with error estimate {solution.FinalErrorEstimate:g3}; raise MaxIterations or loosen the tolerances.");
        }
        settings.Report?.Invoke(solution);
        ctx.save_for_backward(new List<Tensor> { input, solution.States });
        ctx.save_data("step", step);
        ctx.save_data("settings", settings);
        ctx.save_data("method", solution.Method);
        return new List<Tensor> { solution.States };
    }

    /// <inheritdoc />
    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, List<Tensor> grad_outputs)
    {
        var step = (IDifferentiableChainStep)ctx.get_data("step");
        var saved = ctx.get_saved_variables();
        var settings = (Settings)ctx.get_data("settings");
        var method = (ChainMethod)ctx.get_data("method");
        // Autograd needs dLoss/dz_0 and the parameter gradients only: the pass from the states then writes no lambda.
        var adjoint = AdjointSolver.SolveAll(step, saved[0].detach(), saved[1].detach(), method, grad_outputs[0], settings.Adjoint, stateGradients: false);
        settings.BackwardReport?.Invoke(adjoint);
        var grads = new List<Tensor> { null!, null!, null!, adjoint.InputGradient };
        if (step is IDrivenChainStep) grads.Add(adjoint.StepInputGradients!);
        grads.AddRange(adjoint.ParameterGradients);
        return grads;
    }

    /// <summary>Non-tensor arguments travel as one object so that autograd sees only tensors as inputs.</summary>
    private sealed record Settings(SolverOptions? Options, Action<ChainSolution>? Report, Action<AdjointSolution>? BackwardReport, AdjointMethod Adjoint);
}

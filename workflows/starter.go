package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models"
)

// Starter starts and talks to hookflow's workflows; the API server uses
// it, and the reconciler (as activities.DeliveryRuns). What shapes a
// delivery or verification is the worker's business, not the starter's.
type Starter struct {
	Client    client.Client
	TaskQueue string
}

// StartDelivery starts the delivery workflow of a stored event. Starting
// it again for the same event is a no-op, even after it has completed.
func (s Starter) StartDelivery(ctx context.Context, e *models.Event) error {
	return s.startDelivery(ctx, e, enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
}

// RestartDelivery starts a new run of the delivery workflow of an event
// whose last run has closed without settling it. It is a no-op if a run
// is under way.
func (s Starter) RestartDelivery(ctx context.Context, e *models.Event) error {
	return s.startDelivery(ctx, e, enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE)
}

// The run starts with the search attributes it keeps when its first
// attempts all succeed: EventType and, for an event matched when it was
// stored, WebhookId; no DeliveryStatus (see deliveryStatusUnchanged).
// That spares a successful delivery the upsert of its outcome.
func (s Starter) startDelivery(ctx context.Context, e *models.Event, reuse enums.WorkflowIdReusePolicy) error {
	attributes := []temporal.SearchAttributeUpdate{EventTypeKey.ValueSet(string(e.Type))}
	if e.Matched && len(e.WebhookIDs) > 0 {
		attributes = append(attributes, WebhookIDKey.ValueSet(e.WebhookIDs))
	}
	_, err := s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    DeliveryWorkflowID(e.ID),
		TaskQueue:             s.TaskQueue,
		WorkflowIDReusePolicy: reuse,
		TypedSearchAttributes: temporal.NewSearchAttributes(attributes...),
		// A worker of this process (hookflow dev, bench, serve with a
		// worker) takes the first workflow task in the start's answer,
		// sparing Temporal the trip through matching; without a local
		// worker with a free slot the start is an ordinary one.
		EnableEagerStart: true,
	}, Delivery, DeliveryInput{EventID: e.ID})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil
	}
	return err
}

// DeliveryRunState says where the latest run of an event's delivery
// workflow stands.
func (s Starter) DeliveryRunState(ctx context.Context, eventID string) (activities.RunState, error) {
	resp, err := s.Client.DescribeWorkflowExecution(ctx, DeliveryWorkflowID(eventID), "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return activities.RunNotFound, nil
	}
	if err != nil {
		return 0, err
	}
	switch resp.GetWorkflowExecutionInfo().GetStatus() {
	case enums.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return activities.RunRunning, nil
	case enums.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		return activities.RunCompleted, nil
	}
	return activities.RunEnded, nil
}

// ResendDelivery has the delivery workflow of a delivery's event deliver
// it again now, starting a run for it if none is under way. Reopen the
// delivery first (models.Store.ReopenDelivery): d is the delivery as read
// before, its attempts the ones before the resend.
func (s Starter) ResendDelivery(ctx context.Context, d *models.Delivery) error {
	return s.resend(ctx, d, ResendRequest{DeliveryID: d.ID, WebhookID: d.WebhookID, PriorAttempts: d.Attempts})
}

// ContinueDelivery hands a released delivery, pending again, to its
// event's delivery workflow: a resend whose first attempt is due at
// notBefore, numbered after prior attempts.
func (s Starter) ContinueDelivery(ctx context.Context, d *models.Delivery, prior int, notBefore time.Time) error {
	return s.resend(ctx, d, ResendRequest{DeliveryID: d.ID, WebhookID: d.WebhookID, PriorAttempts: prior, NotBefore: notBefore})
}

func (s Starter) resend(ctx context.Context, d *models.Delivery, req ResendRequest) error {
	_, err := s.Client.SignalWithStartWorkflow(ctx, DeliveryWorkflowID(d.EventID), SignalResend, req,
		client.StartWorkflowOptions{
			TaskQueue:             s.TaskQueue,
			WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
			TypedSearchAttributes: temporal.NewSearchAttributes(
				EventTypeKey.ValueSet(string(d.EventType)),
				DeliveryStatusKey.ValueSet(StatusRetrying),
			),
		},
		Delivery, DeliveryInput{EventID: d.EventID, Resend: &req})
	return err
}

// ReleaseHeld has a webhook's drain release the deliveries it holds,
// starting the drain if none runs; call it on every move to active.
func (s Starter) ReleaseHeld(ctx context.Context, webhookID string) error {
	_, err := s.Client.SignalWithStartWorkflow(ctx, DrainWorkflowID(webhookID), SignalRelease, nil,
		client.StartWorkflowOptions{
			TaskQueue:             s.TaskQueue,
			WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		},
		Drain, DrainInput{WebhookID: webhookID})
	return err
}

// StartBatching starts the batching workflow of a batched webhook, unless
// one runs: call it when a webhook gets batch settings or moves to active.
func (s Starter) StartBatching(ctx context.Context, webhookID string) error {
	return s.startUnlessRunning(ctx, BatchingWorkflowID(webhookID), Batching, BatchingInput{WebhookID: webhookID})
}

// StartProbe starts the probe of a webhook hookflow disabled, unless one
// runs already.
func (s Starter) StartProbe(ctx context.Context, webhookID string) error {
	return s.startUnlessRunning(ctx, ProbeWorkflowID(webhookID), Probe, ProbeInput{WebhookID: webhookID})
}

// startUnlessRunning starts a long-lived workflow of one webhook, or leaves
// the run of that id under way alone.
func (s Starter) startUnlessRunning(ctx context.Context, id string, workflow, input any) error {
	_, err := s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                s.TaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, workflow, input)
	return err
}

// LookAgain tells a webhook's probe, if one runs, that its owner changed
// the webhook: it looks at once whether to go on.
func (s Starter) LookAgain(ctx context.Context, webhookID string) error {
	err := s.Client.SignalWorkflow(ctx, ProbeWorkflowID(webhookID), "", SignalProbeLook, nil)
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return nil
	}
	return err
}

// DeliverySchedule asks the delivery workflow of a delivery's event where
// the delivery stands; nil when the workflow is not retrying it. A
// workflow that no worker answers for makes it wait until ctx ends.
func (s Starter) DeliverySchedule(ctx context.Context, eventID, deliveryID string) (*models.DeliverySchedule, error) {
	v, err := s.Client.QueryWorkflow(ctx, DeliveryWorkflowID(eventID), "", QueryDeliverySchedule, deliveryID)
	if err != nil {
		return nil, err
	}
	var schedule *models.DeliverySchedule
	return schedule, v.Get(&schedule)
}

// StartRecovery starts the workflow of a stored recovery.
func (s Starter) StartRecovery(ctx context.Context, recoveryID string) error {
	_, err := s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    RecoveryWorkflowID(recoveryID),
		TaskQueue:             s.TaskQueue,
		WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, Recovery, RecoveryInput{RecoveryID: recoveryID})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil
	}
	return err
}

// CancelRecovery cancels a recovery's workflow and waits, until ctx ends,
// for it to stop: once it returns nil, the recovery sends nothing more.
func (s Starter) CancelRecovery(ctx context.Context, recoveryID string) error {
	id := RecoveryWorkflowID(recoveryID)
	err := s.Client.CancelWorkflow(ctx, id, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return nil // never started, or long gone
	}
	if err != nil {
		return err
	}
	// However the run ends (cancelled, completed, failed), it has stopped.
	_ = s.Client.GetWorkflow(ctx, id, "").Get(ctx, nil)
	return ctx.Err()
}

// StartVerification (re)starts the verification workflow of a webhook,
// replacing one that checks an older URL.
func (s Starter) StartVerification(ctx context.Context, webhookID string) error {
	_, err := s.Client.ExecuteWorkflow(ctx, s.verificationOptions(webhookID, enums.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING),
		Verification, VerificationInput{WebhookID: webhookID})
	return err
}

// VerifyNow checks a webhook's verification file at once and returns the
// result, starting a verification workflow if none is running.
func (s Starter) VerifyNow(ctx context.Context, webhookID string) (activities.VerificationResult, error) {
	start := s.Client.NewWithStartWorkflowOperation(
		s.verificationOptions(webhookID, enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING),
		Verification, VerificationInput{WebhookID: webhookID})
	handle, err := s.Client.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName:   UpdateVerifyNow,
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err != nil {
		return activities.VerificationResult{}, fmt.Errorf("verify now: %w", err)
	}
	var res activities.VerificationResult
	err = handle.Get(ctx, &res)
	return res, err
}

// StopVerification ends a webhook's verification workflow, if any runs.
func (s Starter) StopVerification(ctx context.Context, webhookID string) error {
	err := s.Client.CancelWorkflow(ctx, VerificationWorkflowID(webhookID), "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return nil
	}
	return err
}

func (s Starter) verificationOptions(webhookID string, conflict enums.WorkflowIdConflictPolicy) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       VerificationWorkflowID(webhookID),
		TaskQueue:                s.TaskQueue,
		WorkflowIDConflictPolicy: conflict,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}
}

// TestWebhook sends one test request to a webhook through the worker and
// waits for its result. A webhook that is gone answers models.ErrNotFound,
// an unverified one models.ErrWebhookUnverified.
func (s Starter) TestWebhook(ctx context.Context, in activities.WebhookTestInput) (activities.WebhookTestResult, error) {
	var res activities.WebhookTestResult
	err := s.runAndWait(ctx, WebhookTestWorkflowID(in.TestID), WebhookTest, in, &res)
	return res, err
}

// CheckWebhooks tests every active webhook of an account through the
// worker and waits for the results. While a check of the account runs, it
// waits for that one's results instead of starting another.
func (s Starter) CheckWebhooks(ctx context.Context, accountID string) ([]activities.WebhookCheck, error) {
	var res []activities.WebhookCheck
	err := s.runAndWait(ctx, WebhookCheckWorkflowID(accountID), WebhookCheck, activities.WebhookCheckInput{AccountID: accountID}, &res)
	return res, err
}

// runAndWait runs a short workflow (or joins the run of that id under way)
// and waits until ctx ends for its result. The run ends unrun after
// WebhookTestRunTimeout if no worker takes it.
func (s Starter) runAndWait(ctx context.Context, id string, workflow, input, result any) error {
	run, err := s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                s.TaskQueue,
		WorkflowExecutionTimeout: WebhookTestRunTimeout,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, workflow, input)
	if err != nil {
		return err
	}
	return verdict(run.Get(ctx, result))
}

// verdict turns the activities' refusals into the models' errors, so the
// API can answer them without knowing Temporal.
func verdict(err error) error {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		return err
	}
	switch appErr.Type() {
	case activities.ErrorTypeWebhookNotFound:
		return fmt.Errorf("%w: %s", models.ErrNotFound, appErr.Error())
	case activities.ErrorTypeWebhookUnverified:
		return fmt.Errorf("%w (%s)", models.ErrWebhookUnverified, appErr.Error())
	}
	return err
}

// The reconciler asks Temporal through a Starter.
var _ activities.DeliveryRuns = Starter{}
